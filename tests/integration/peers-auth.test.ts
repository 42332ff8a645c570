/** Peer authentication: wrong secret, unknown sid, impostors, and the no-secret rule. */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerConfigError, PeerNetwork } from '../../ensemble/server/peers/index.ts';
import { decodeHandshake, encodeHello, encodeProof, newNonce, proofOf } from '../../ensemble/server/peers/handshake.ts';
import { concatFrames } from '../../ensemble/server/peers/framing.ts';
import { addresses, allUp, newSecret, sleep, startMember, waitFor, type Member } from './peers-helpers.ts';

const running: Member[] = [];
async function start(...args: Parameters<typeof startMember>): Promise<Member> {
  const m = await startMember(...args);
  running.push(m);
  return m;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((m) => m.net.close()));
});

/** Reads one handshake frame from a raw socket (or null when the server closes first). */
function readFrame(s: net.Socket): Promise<Buffer | null> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        s.off('data', onData);
        resolve(buf.subarray(4, 4 + buf.readInt32BE(0)));
      }
    };
    s.on('data', onData);
    s.once('close', () => resolve(null));
  });
}
const closed = (s: net.Socket) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())));

describe('peer authentication', () => {
  it('a peer with the wrong secret is rejected by everyone and delivers nothing', async () => {
    const servers = await addresses(3);
    const secret = newSecret();
    const m1 = await start(1, servers, secret);
    const m3 = await start(3, servers, secret);
    await waitFor('1-3 up', () => m1.net.isUp(3, 'quorum') && m1.net.isUp(3, 'election'));
    const bad = await start(2, servers, newSecret());
    for (const p of [1, 3]) for (const ch of ['quorum', 'election'] as const) bad.net.send(p, ch, Buffer.from('let me in'));
    await waitFor('rejections at 1 and 3', () => m1.rejected.length >= 2 && m3.rejected.length >= 2, 5000);
    await sleep(300);
    expect(bad.ups).toEqual([]);
    expect(m1.ups.filter((u) => u.startsWith('2/'))).toEqual([]);
    expect(m3.ups.filter((u) => u.startsWith('2/'))).toEqual([]);
    expect(m1.received).toEqual([]);
    expect(m3.received).toEqual([]);
    const reasons = [...m1.rejected, ...m3.rejected].map((r) => r.reason);
    expect(reasons.some((r) => /failed the authentication proof/.test(r))).toBe(true);
    // Symmetric: when sid 3 dials the impostor, the impostor cannot verify sid 3's proof either.
    expect(bad.rejected.some((r) => r.claimedSid === 3 && /failed the authentication proof/.test(r.reason))).toBe(true);
    expect(m1.net.isUp(3, 'quorum') && m3.net.isUp(1, 'election')).toBe(true);
    expect(m1.downs).toEqual([]);
  });

  it('a sid that is not in the server list is rejected', async () => {
    const servers = await addresses(2);
    const secret = newSecret();
    const m1 = await start(1, servers, secret);
    const [stranger] = await addresses(1);
    const strangerView = [...servers, { ...stranger!, sid: 9 }];
    const s9 = await start(9, strangerView, secret);
    s9.net.send(1, 'election', Buffer.from('hi'));
    await waitFor('rejection', () => m1.rejected.some((r) => /sid 9 is not in the server list/.test(r.reason)));
    expect(m1.received).toEqual([]);
    expect(s9.ups.filter((u) => u.startsWith('1/'))).toEqual([]);
  });

  it('the acceptor proves nothing to a dialer that has not proved itself', async () => {
    const servers = await addresses(2);
    const m1 = await start(1, servers, newSecret());
    const s = net.connect({ host: '127.0.0.1', port: servers[0]!.electionPort });
    await new Promise((r) => s.once('connect', r));
    s.write(concatFrames([encodeHello(2, 'election', newNonce())]));
    const hello = decodeHandshake((await readFrame(s))!);
    expect(hello).toMatchObject({ kind: 'hello', sid: 1, channel: 'election' });
    // A proof made with a guessed secret: the server closes without sending its own proof.
    const guess = proofOf(newSecret(), hello.kind === 'hello' ? hello.nonce : Buffer.alloc(0), 2, 1, 'election');
    s.write(concatFrames([encodeProof(guess, 'keep')]));
    expect(await readFrame(s)).toBeNull();
    await closed(s);
    expect(m1.rejected.at(-1)).toMatchObject({ claimedSid: 2, channel: 'election' });
    expect(m1.ups).toEqual([]);
  });

  it('a proof for the other channel is refused (the channel is inside the HMAC)', async () => {
    const servers = await addresses(2);
    const secret = newSecret();
    const m1 = await start(1, servers, secret);
    const s = net.connect({ host: '127.0.0.1', port: servers[0]!.quorumPort });
    await new Promise((r) => s.once('connect', r));
    s.write(concatFrames([encodeHello(2, 'quorum', newNonce())]));
    const hello = decodeHandshake((await readFrame(s))!);
    if (hello.kind !== 'hello') throw new Error('expected HELLO');
    s.write(concatFrames([encodeProof(proofOf(secret, hello.nonce, 2, 1, 'election'), 'keep')]));
    expect(await readFrame(s)).toBeNull();
    expect(m1.ups).toEqual([]);
    expect(m1.rejected.at(-1)?.reason).toMatch(/authentication proof/);
  });

  it('a raw client that knows the secret completes the handshake (the proof is what admits)', async () => {
    const servers = await addresses(2);
    const secret = newSecret();
    const m1 = await start(1, servers, secret);
    const s = net.connect({ host: '127.0.0.1', port: servers[0]!.quorumPort });
    await new Promise((r) => s.once('connect', r));
    const myNonce = newNonce();
    s.write(concatFrames([encodeHello(2, 'quorum', myNonce)]));
    const hello = decodeHandshake((await readFrame(s))!);
    if (hello.kind !== 'hello') throw new Error('expected HELLO');
    s.write(concatFrames([encodeProof(proofOf(secret, hello.nonce, 2, 1, 'quorum'), 'keep')]));
    const proof = decodeHandshake((await readFrame(s))!);
    expect(proof).toMatchObject({ kind: 'proof', verdict: 'keep' });
    if (proof.kind !== 'proof') throw new Error('expected PROOF');
    expect(proof.mac.equals(proofOf(secret, myNonce, 1, 2, 'quorum'))).toBe(true);
    s.write(concatFrames([Buffer.from('payload after auth')]));
    await waitFor('delivery', () => m1.received.length === 1);
    expect(m1.received[0]).toMatchObject({ from: 2, channel: 'quorum' });
    expect(m1.received[0]!.payload.toString()).toBe('payload after auth');
    s.destroy();
  });

  it('an authenticated knock from a lower sid gets "redial" and makes the higher sid dial it afresh', async () => {
    const servers = await addresses(2);
    const secret = newSecret();
    const m1 = await start(1, servers, secret);
    const m2 = await start(2, servers, secret);
    await waitFor('up', () => allUp([m1, m2]));
    // Knock on sid 2 as sid 1, as a restarted sid 1 would: sid 2 must drop the connection it believes in and redial.
    const s = net.connect({ host: '127.0.0.1', port: servers[1]!.electionPort });
    await new Promise((r) => s.once('connect', r));
    const myNonce = newNonce();
    s.write(concatFrames([encodeHello(1, 'election', myNonce)]));
    const hello = decodeHandshake((await readFrame(s))!);
    if (hello.kind !== 'hello') throw new Error('expected HELLO');
    s.write(concatFrames([encodeProof(proofOf(secret, hello.nonce, 1, 2, 'election'), 'keep')]));
    const proof = decodeHandshake((await readFrame(s))!);
    expect(proof).toMatchObject({ kind: 'proof', verdict: 'redial' });
    await closed(s);
    await waitFor('redialed', () => m2.net.stats(1, 'election').connections === 2 && m2.net.isUp(1, 'election'));
    expect(m2.downs).toEqual(['1/election']);
    expect(m2.net.stats(1, 'election').dialedBy).toBe(2);
    expect(m2.net.stats(1, 'quorum').connections).toBe(1); // the other channel is untouched
    await waitFor('sid 1 sees the new connection', () => m1.net.stats(2, 'election').connections === 2);
    expect(m2.rejected).toEqual([]);
  });

  it('refuses to start without a secret when a server is not on loopback', async () => {
    const servers = await addresses(3);
    servers[2]!.host = '10.1.2.3';
    const attempt = PeerNetwork.start({ sid: 1, servers });
    await expect(attempt).rejects.toBeInstanceOf(PeerConfigError);
    await expect(PeerNetwork.start({ sid: 1, servers })).rejects.toThrow(/server\.3=10\.1\.2\.3 is not a loopback address.*quorum\.auth\.secretFile/s);
    servers[2]!.host = 'zk3.example.com';
    await expect(PeerNetwork.start({ sid: 1, servers })).rejects.toThrow(/without a shared secret/);
    await expect(PeerNetwork.start({ sid: 1, servers, secret: Buffer.from('short') })).rejects.toThrow(/at least 16/);
    // Nothing was left listening by the refused starts.
    const net1 = await PeerNetwork.start({ sid: 1, servers, secret: newSecret() });
    await net1.close();
  });

  it('runs without a secret when every server is on loopback', async () => {
    const servers = await addresses(3);
    const members = await Promise.all(servers.map((s) => start(s.sid, servers, null)));
    await waitFor('up', () => allUp(members));
    members[0]!.net.send(3, 'quorum', Buffer.from('plain'));
    await waitFor('delivery', () => members[2]!.received.length === 1);
  });

  it('rejects a config whose sid is missing or duplicated', async () => {
    const servers = await addresses(2);
    await expect(PeerNetwork.start({ sid: 5, servers, secret: newSecret() })).rejects.toThrow(/my sid 5/);
    await expect(PeerNetwork.start({ sid: 1, servers: [...servers, servers[1]!], secret: newSecret() })).rejects.toThrow(/twice/);
  });
});
