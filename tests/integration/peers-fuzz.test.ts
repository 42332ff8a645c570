/**
 * 10,000 malformed connections against the quorum and election ports of a live three-member mesh: each is
 * closed by the server, and the members' own links never notice.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, type Channel, type PeerAddress } from '../../ensemble/server/peers/index.ts';
import { concatFrames, lengthPrefix } from '../../ensemble/server/peers/framing.ts';
import { encodeHello, encodeProof, newNonce } from '../../ensemble/server/peers/handshake.ts';
import { addresses, allUp, newSecret, startMember, waitFor, type Member } from './peers-helpers.ts';
import { seededRandom } from '../helpers/prng.ts';

const CONNECTIONS = 10_000;
const CONCURRENCY = 24;


interface Attack {
  bytes: Buffer;
  /** Incomplete input: we end our side and the server must close on EOF; otherwise it must close by itself. */
  endOurSide: boolean;
}

function makeAttack(rand: () => number, target: PeerAddress, channel: Channel): Attack {
  const int = (n: number) => Math.floor(rand() * n);
  const junk = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const otherSid = target.sid === 1 ? 2 : 1;
  const otherChannel: Channel = channel === 'quorum' ? 'election' : 'quorum';
  const validHello = () => concatFrames([encodeHello(otherSid, channel, newNonce())]);
  switch (int(10)) {
    case 0: {
      const b = lengthPrefix(-1 - int(2 ** 31 - 1));
      return { bytes: Buffer.concat([b, junk(int(16))]), endOurSide: false };
    }
    case 1: // longer than any handshake frame may be
      return { bytes: Buffer.concat([lengthPrefix(129 + int(2 ** 31 - 130)), junk(int(64))]), endOurSide: false };
    case 2: // a complete frame of noise
      return { bytes: concatFrames([junk(int(129))]), endOurSide: false };
    case 3: {
      // a HELLO with one header byte (magic, version, kind, channel) corrupted
      const hello = encodeHello(otherSid, channel, newNonce());
      const at = int(7);
      hello[at] = (hello[at]! + 1 + int(255)) & 0xff;
      return { bytes: concatFrames([hello]), endOurSide: false };
    }
    case 4: {
      // a HELLO cut short or padded
      const hello = encodeHello(otherSid, channel, newNonce());
      const body = rand() < 0.5 ? hello.subarray(0, int(hello.length)) : Buffer.concat([hello, junk(1 + int(20))]);
      return { bytes: concatFrames([body]), endOurSide: false };
    }
    case 5: {
      // an impostor: unknown sid, the target's own sid, or the wrong channel
      const pick = int(3);
      const hello =
        pick === 0
          ? encodeHello(4 + int(1_000_000), channel, newNonce())
          : pick === 1
            ? encodeHello(target.sid, channel, newNonce())
            : encodeHello(otherSid, otherChannel, newNonce());
      return { bytes: concatFrames([hello]), endOurSide: false };
    }
    case 6: // a well-formed HELLO, then a proof made of noise
      return { bytes: Buffer.concat([validHello(), concatFrames([encodeProof(junk(32), rand() < 0.5 ? 'keep' : 'redial')])]), endOurSide: false };
    case 7: {
      // a well-formed HELLO, then garbage: a second HELLO, noise, or an oversize length
      const pick = int(3);
      const tail = pick === 0 ? validHello() : pick === 1 ? concatFrames([junk(int(100))]) : lengthPrefix(1000 + int(1_000_000));
      return { bytes: Buffer.concat([validHello(), tail]), endOurSide: false };
    }
    case 8: // a PROOF before any HELLO
      return { bytes: concatFrames([encodeProof(junk(32), 'keep')]), endOurSide: false };
    default: {
      // incomplete: fewer than 4 bytes, or a frame that stops in the middle
      const bytes = rand() < 0.5 ? junk(int(4)) : Buffer.concat([lengthPrefix(10 + int(100)), junk(int(10))]);
      return { bytes, endOurSide: true };
    }
  }
}

/** Resolves 'server' when the server closed the connection, 'timeout' when it did not within 5 s. */
function attack(host: string, port: number, a: Attack): Promise<'server' | 'timeout'> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    let done = false;
    const finish = (how: 'server' | 'timeout') => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve(how);
    };
    const timer = setTimeout(() => finish('timeout'), 5000);
    s.on('connect', () => {
      s.write(a.bytes);
      if (a.endOurSide) s.end();
    });
    s.on('data', () => {}); // a HELLO answer may come first
    s.on('error', () => finish('server')); // ECONNRESET: the server closed with data unread
    s.on('end', () => finish('server'));
    s.on('close', () => finish('server'));
  });
}

describe('PeerNetwork under malformed input', () => {
  let servers: PeerAddress[];
  let members: Member[];

  beforeAll(async () => {
    servers = await addresses(3);
    const secret = newSecret();
    members = await Promise.all(servers.map((s) => startMember(s.sid, servers, secret)));
    await waitFor('mesh up', () => allUp(members));
  });
  afterAll(async () => {
    await Promise.all(members.map((m) => m.net.close()));
  });

  it(`closes each of ${CONNECTIONS} malformed connections and the mesh keeps talking`, async () => {
    const rand = seededRandom(0xc0ffee);
    const targets = servers.flatMap((s) => CHANNELS.map((ch) => ({ s, ch })));
    const outcomes = { server: 0, timeout: 0 };
    const perChannel = { quorum: 0, election: 0 };
    let next = 0;
    let chatter = 0;
    const worker = async () => {
      while (next < CONNECTIONS) {
        const i = next++;
        const { s, ch } = targets[i % targets.length]!;
        perChannel[ch]++;
        outcomes[await attack(s.host, ch === 'quorum' ? s.quorumPort : s.electionPort, makeAttack(rand, s, ch))]++;
        if (i % 500 === 0) {
          // The members keep exchanging messages during the storm.
          for (const m of members) for (const p of m.net.peerSids) m.net.send(p, i % 1000 === 0 ? 'quorum' : 'election', Buffer.from(`tick ${i}`));
          chatter++;
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    expect(outcomes).toEqual({ server: CONNECTIONS, timeout: 0 });
    expect(perChannel.quorum).toBe(CONNECTIONS / 2);
    await waitFor('every rejection recorded', () => members.reduce((n, m) => n + m.rejected.length, 0) === CONNECTIONS);
    for (const m of members) {
      expect(m.downs).toEqual([]);
      for (const p of m.net.peerSids) for (const ch of CHANNELS) expect(m.net.stats(p, ch).connections).toBe(1);
    }
    // Everything sent during the storm arrived, and new traffic still flows.
    await waitFor('storm chatter', () => members.every((m) => m.received.length === 2 * chatter));
    for (const m of members) for (const p of m.net.peerSids) m.net.send(p, 'quorum', Buffer.from('after'));
    await waitFor('after', () => members.every((m) => m.received.filter((r) => r.payload.toString() === 'after').length === 2));
  });
});
