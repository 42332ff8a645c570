/** PeerNetwork over real loopback TCP: three members in this process. */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS, type PeerAddress } from '../../ensemble/server/peers/index.ts';
import { addresses, allUp, newSecret, sleep, startMember, waitFor, type Member } from './peers-helpers.ts';

const running: Member[] = [];
async function start(...args: Parameters<typeof startMember>): Promise<Member> {
  const m = await startMember(...args);
  running.push(m);
  return m;
}
async function stop(m: Member): Promise<void> {
  await m.net.close();
  running.splice(running.indexOf(m), 1);
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((m) => m.net.close()));
});

async function trio(servers?: PeerAddress[]): Promise<{ servers: PeerAddress[]; secret: Buffer; members: Member[] }> {
  servers ??= await addresses(3);
  const secret = newSecret();
  const members = await Promise.all(servers.map((s) => start(s.sid, servers!, secret)));
  await waitFor('all links up', () => allUp(members));
  return { servers, secret, members };
}

const text = (b: Buffer) => b.toString('utf8');

describe('PeerNetwork', () => {
  it('delivers all-to-all on both channels', async () => {
    const { members } = await trio();
    for (const m of members) {
      for (const peer of m.net.peerSids) {
        for (const ch of CHANNELS) expect(m.net.send(peer, ch, Buffer.from(`${m.sid}->${peer} ${ch}`))).toBe(true);
      }
    }
    await waitFor('12 messages', () => members.every((m) => m.received.length === 4));
    for (const m of members) {
      const got = m.received.map((r) => `${r.from}:${r.channel}:${text(r.payload)}`).sort();
      const want = m.net.peerSids.flatMap((p) => CHANNELS.map((ch) => `${p}:${ch}:${p}->${m.sid} ${ch}`)).sort();
      expect(got).toEqual(want);
    }
  });

  it('keeps per-peer order across many ticks and sizes', async () => {
    const { members } = await trio();
    const [m1, m2, m3] = members as [Member, Member, Member];
    const N = 3000;
    for (let i = 0; i < N; i++) {
      // Mixed sizes (some above the batch copy limit) and yielding now and then so batches vary.
      const size = i % 500 === 0 ? 300_000 : 8 + (i % 97);
      const payload = Buffer.alloc(size, i % 251);
      payload.writeUInt32BE(i, 0);
      m3.net.send(1, 'quorum', payload);
      m2.net.send(1, 'quorum', payload);
      if (i % 100 === 0) await sleep(0);
    }
    await waitFor('all ordered messages', () => m1.received.length === 2 * N, 15_000);
    for (const from of [2, 3]) {
      const seq = m1.received.filter((r) => r.from === from).map((r) => r.payload.readUInt32BE(0));
      expect(seq).toEqual(Array.from({ length: N }, (_, i) => i));
    }
    expect(m1.received.find((r) => r.payload.length === 300_000)?.payload.at(-1)).toBe(0);
  });

  it('batches many small messages queued in one tick into one socket write', async () => {
    const { members } = await trio();
    const [m1, m2] = members as [Member, Member, Member];
    const before = m1.net.stats(2, 'election');
    for (let i = 0; i < 1000; i++) m1.net.send(2, 'election', Buffer.from(`vote ${i}`));
    await waitFor('1000 votes', () => m2.received.length === 1000);
    const after = m1.net.stats(2, 'election');
    expect(after.messagesSent - before.messagesSent).toBe(1000);
    expect(after.socketWrites - before.socketWrites).toBe(1);
    expect(m2.received.map((r) => text(r.payload))).toEqual(Array.from({ length: 1000 }, (_, i) => `vote ${i}`));
  });

  it('keeps exactly one connection per pair and channel, dialed by the higher sid', async () => {
    const { members } = await trio();
    await sleep(300); // give any fight time to show up
    for (const m of members) {
      for (const peer of m.net.peerSids) {
        for (const ch of CHANNELS) {
          const s = m.net.stats(peer, ch);
          expect(s.up).toBe(true);
          expect(s.dialedBy).toBe(Math.max(m.sid, peer));
          expect(s.connections).toBe(1);
        }
      }
      expect(m.downs).toEqual([]);
      expect(m.ups.sort()).toEqual(m.net.peerSids.flatMap((p) => CHANNELS.map((ch) => `${p}/${ch}`)).sort());
    }
  });

  it('a lower sid that starts late is dialed back at once, whatever the higher sid backoff', async () => {
    const servers = await addresses(2);
    const secret = newSecret();
    // sid 2 fails to reach sid 1 and then waits 30 s before trying again on its own.
    const m2 = await start(2, servers, secret, { backoff: { initialMs: 30_000, maxMs: 30_000 } });
    await sleep(100);
    const t0 = Date.now();
    const m1 = await start(1, servers, secret);
    await waitFor('up', () => allUp([m1, m2]), 3000);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(m1.net.stats(2, 'quorum').dialedBy).toBe(2);
    expect(m1.rejected).toEqual([]);
  });

  it('reconnects after a peer closes and restarts, and delivers what was queued meanwhile', async () => {
    const { servers, secret, members } = await trio();
    for (const victim of [1, 3, 2]) {
      const [others, gone] = [members.filter((m) => m.sid !== victim), members.find((m) => m.sid === victim)!];
      await stop(gone);
      await waitFor(`others see ${victim} down`, () => others.every((o) => !o.net.isUp(victim, 'quorum') && !o.net.isUp(victim, 'election')));
      for (const o of others) o.net.send(victim, 'quorum', Buffer.from(`while down from ${o.sid}`));
      const t0 = Date.now();
      const back = await start(victim, servers, secret);
      members[members.indexOf(gone)] = back;
      await waitFor(`${victim} back`, () => allUp(members), 5000);
      expect(Date.now() - t0).toBeLessThan(2500); // backoff is capped at 1 s
      await waitFor('queued messages delivered', () => back.received.length === 2);
      expect(back.received.map((r) => `${r.from}:${text(r.payload)}`).sort()).toEqual(
        others.map((o) => `${o.sid}:while down from ${o.sid}`).sort(),
      );
      for (const o of others) expect(o.downs.filter((d) => d.startsWith(`${victim}/`)).sort()).toEqual([`${victim}/election`, `${victim}/quorum`]);
      for (const o of others) o.downs.length = 0;
    }
  });

  it('drops the oldest queued messages when a down peer queue is full', async () => {
    const servers = await addresses(2);
    const secret = newSecret();
    const m1 = await start(1, servers, secret, { maxQueuedMessages: 100 });
    for (let i = 0; i < 250; i++) m1.net.send(2, 'election', Buffer.from(String(i)));
    expect(m1.net.stats(2, 'election')).toMatchObject({ queued: 100, dropped: 150, up: false });
    const m2 = await start(2, servers, secret);
    await waitFor('the newest 100', () => m2.received.length === 100);
    expect(m2.received.map((r) => Number(text(r.payload)))).toEqual(Array.from({ length: 100 }, (_, i) => 150 + i));
  });

  it('refuses to send what can never be delivered', async () => {
    const { members } = await trio();
    const m1 = members[0]!;
    expect(m1.net.send(1, 'quorum', Buffer.from('me'))).toBe(false);
    expect(m1.net.send(7, 'quorum', Buffer.from('nobody'))).toBe(false);
    expect(m1.net.send(2, 'election', Buffer.alloc(64 * 1024 + 1))).toBe(false);
    expect(m1.net.send(2, 'election', Buffer.alloc(64 * 1024))).toBe(true);
    await waitFor('max-size vote', () => members[1]!.received.length === 1);
  });

  it('an oversize frame closes only that connection, which then recovers', async () => {
    const servers = await addresses(3);
    const secret = newSecret();
    const small = { maxMessageBytes: { quorum: 64 * 1024 } };
    const m1 = await start(1, servers, secret, small);
    const m2 = await start(2, servers, secret, small);
    const m3 = await start(3, servers, secret, { maxMessageBytes: { quorum: 1024 * 1024 } }); // misconfigured
    const members = [m1, m2, m3];
    await waitFor('up', () => allUp(members));
    expect(m3.net.send(1, 'quorum', Buffer.alloc(200 * 1024, 7))).toBe(true);
    await waitFor('1 drops 3/quorum', () => m1.downs.includes('3/quorum'));
    await waitFor('3/quorum back', () => m1.net.isUp(3, 'quorum'));
    expect(m1.downs).toEqual(['3/quorum']);
    expect(m2.downs).toEqual([]);
    expect(m1.received).toEqual([]);
    m3.net.send(1, 'quorum', Buffer.from('small again'));
    m3.net.send(1, 'election', Buffer.from('vote'));
    await waitFor('later messages', () => m1.received.length === 2);
    expect(m1.received.map((r) => text(r.payload)).sort()).toEqual(['small again', 'vote']);
  });

  it('listens only on its own server.N address', async () => {
    const servers = await addresses(2);
    servers[0]!.host = '127.0.0.2';
    const m1 = await start(1, servers, newSecret());
    const reach = (host: string) =>
      new Promise<boolean>((resolve) => {
        const s = net.connect({ host, port: servers[0]!.quorumPort });
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      });
    expect(await reach('127.0.0.2')).toBe(true);
    expect(await reach('127.0.0.1')).toBe(false);
    await stop(m1);
  });

  it('fails to start with a clear error when a port is taken, leaving nothing listening', async () => {
    const servers = await addresses(2);
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(servers[0]!.electionPort, '127.0.0.1', () => r()));
    try {
      await expect(start(1, servers, newSecret())).rejects.toThrow(
        new RegExp(`cannot listen on the election port 127\\.0\\.0\\.1:${servers[0]!.electionPort}: .*EADDRINUSE`),
      );
    } finally {
      await new Promise((r) => blocker.close(r));
    }
    // The quorum port it had already bound was released.
    const m1 = await start(1, servers, newSecret());
    expect(m1.net.me.quorumPort).toBe(servers[0]!.quorumPort);
  });
});
