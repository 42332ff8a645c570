import { describe, expect, it } from 'vitest';
import { decode, encode, PacketType, ServerState, ZabDecodeError, type PeerMessage, type QuorumBody } from '../../ensemble/zab/index.ts';
import { Prng } from '../sim/prng.ts';

const bodies: QuorumBody[] = [
  { type: 'FOLLOWERINFO', acceptedEpoch: 7n, lastZxid: 0x700000003n, observer: false },
  { type: 'FOLLOWERINFO', acceptedEpoch: 0n, lastZxid: 0n, observer: true },
  { type: 'LEADERINFO', newEpoch: 8n },
  { type: 'ACKEPOCH', currentEpoch: 7n, lastZxid: 0x700000003n, fresh: true },
  { type: 'DIFF' },
  { type: 'TRUNC', zxid: 0x500000002n },
  { type: 'SNAP', zxid: 0x600000001n, data: Buffer.from('state bytes') },
  { type: 'PROPOSAL', zxid: 0x800000001n, payload: Buffer.from([0, 1, 2, 255]) },
  { type: 'PROPOSAL', zxid: 0x800000002n, payload: Buffer.alloc(0) },
  { type: 'NEWLEADER', zxid: 0x800000000n },
  { type: 'ACK', zxid: 0x800000001n },
  { type: 'COMMIT', zxid: 0x800000001n },
  { type: 'UPTODATE' },
  { type: 'INFORM', zxid: 0x800000001n, payload: Buffer.from('txn') },
  { type: 'PING' },
  { type: 'REQUEST', requestId: 42n, payload: Buffer.from('create /a') },
  { type: 'SYNC', requestId: -1n },
];

const messages: PeerMessage[] = [
  { kind: 'notification', state: ServerState.LOOKING, leader: 3, zxid: 0x200000005n, electionEpoch: 4n, peerEpoch: 2n },
  { kind: 'notification', state: ServerState.OBSERVING, leader: -1, zxid: -1n, electionEpoch: 1n, peerEpoch: -1n },
  ...bodies.map((body, i): PeerMessage => ({ kind: 'quorum', session: 0x1234_5678_9abcn + BigInt(i), seq: i * 3, body })),
];

describe('ZAB message codec', () => {
  it('round-trips every message type', () => {
    for (const m of messages) expect(decode(encode(m))).toEqual(m);
    const types = new Set(bodies.map((b) => b.type));
    expect(types.size).toBe(Object.keys(PacketType).length);
  });

  it('uses ZooKeeper packet type codes', () => {
    const buf = encode({ kind: 'quorum', session: 1n, seq: 0, body: { type: 'NEWLEADER', zxid: 0n } });
    // kind(4) session(8) seq(4) then the type code
    expect(buf.readInt32BE(16)).toBe(10);
    expect(PacketType.PROPOSAL).toBe(2);
    expect(PacketType.LEADERINFO).toBe(17);
  });

  it('rejects every truncation of every message with ZabDecodeError', () => {
    for (const m of messages) {
      const full = encode(m);
      for (let len = 0; len < full.length; len++) {
        expect(() => decode(full.subarray(0, len)), `${JSON.stringify(m.kind)} cut at ${len}`).toThrow(ZabDecodeError);
      }
    }
  });

  it('rejects trailing bytes, unknown kinds and types, and bad field values', () => {
    const ping = encode({ kind: 'quorum', session: 1n, seq: 0, body: { type: 'PING' } });
    expect(() => decode(Buffer.concat([ping, Buffer.from([0])]))).toThrow(/trailing/);
    const badKind = Buffer.from(ping);
    badKind.writeInt32BE(9, 0);
    expect(() => decode(badKind)).toThrow(/unknown message kind/);
    const badType = Buffer.from(ping);
    badType.writeInt32BE(99, 16);
    expect(() => decode(badType)).toThrow(/unknown packet type/);
    const negSeq = Buffer.from(ping);
    negSeq.writeInt32BE(-5, 12);
    expect(() => decode(negSeq)).toThrow(/negative seq/);

    const note = encode(messages[0]!);
    const badState = Buffer.from(note);
    badState.writeInt32BE(7, 4);
    expect(() => decode(badState)).toThrow(/server state/);

    const info = encode({ kind: 'quorum', session: 1n, seq: 0, body: { type: 'FOLLOWERINFO', acceptedEpoch: 1n, lastZxid: 1n, observer: false } });
    const badBool = Buffer.from(info);
    badBool[badBool.length - 1] = 2;
    expect(() => decode(badBool)).toThrow(/boolean/);

    const prop = encode({ kind: 'quorum', session: 1n, seq: 0, body: { type: 'PROPOSAL', zxid: 5n, payload: Buffer.from('x') } });
    const nullPayload = Buffer.from(prop.subarray(0, prop.length - 1));
    nullPayload.writeInt32BE(-1, nullPayload.length - 4);
    expect(() => decode(nullPayload)).toThrow(/null payload/);
    const hugeLen = Buffer.from(prop);
    hugeLen.writeInt32BE(0x7fffffff, prop.length - 5);
    expect(() => decode(hugeLen)).toThrow(ZabDecodeError);
    const negZxid = Buffer.from(prop);
    negZxid.writeBigInt64BE(-1n, 20);
    expect(() => decode(negZxid)).toThrow(/negative zxid/);
  });

  it('never throws anything but ZabDecodeError on random or corrupted bytes', () => {
    const rng = new Prng(99);
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      let buf: Buffer;
      if (i % 2 === 0) {
        buf = Buffer.from(encode(rng.pick(messages)));
        for (let flips = rng.int(1, 3); flips > 0; flips--) buf[rng.int(0, buf.length - 1)] = rng.int(0, 255);
      } else {
        buf = Buffer.from(Array.from({ length: rng.int(0, 40) }, () => rng.int(0, 255)));
      }
      try {
        const m = decode(buf);
        accepted++;
        // Whatever decodes must re-encode to exactly the same bytes.
        expect(encode(m).equals(buf)).toBe(true);
      } catch (err) {
        expect(err).toBeInstanceOf(ZabDecodeError);
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });
});
