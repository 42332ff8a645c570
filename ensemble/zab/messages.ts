/**
 * Messages between ZAB peers, as plain objects, plus their binary encoding.
 *
 * Election notifications are idempotent and travel unsequenced. Everything else belongs to one
 * leader↔learner session and carries (session, seq) so a receiver can drop duplicates and stale
 * sessions and put reordered packets back in order: the state machine gets TCP's guarantees
 * without depending on the transport for them.
 */
import { JuteReader, JuteWriter, ownedCopy } from '../jute/index.ts';

export const ServerState = { LOOKING: 0, FOLLOWING: 1, LEADING: 2, OBSERVING: 3 } as const;
export type ServerState = (typeof ServerState)[keyof typeof ServerState];

/** Packet type codes: ZooKeeper's Leader.java constants, so captures read the same. */
export const PacketType = {
  REQUEST: 1,
  PROPOSAL: 2,
  ACK: 3,
  COMMIT: 4,
  PING: 5,
  SYNC: 7,
  INFORM: 8,
  NEWLEADER: 10,
  FOLLOWERINFO: 11,
  UPTODATE: 12,
  DIFF: 13,
  TRUNC: 14,
  SNAP: 15,
  LEADERINFO: 17,
  ACKEPOCH: 18,
} as const;

export interface Vote {
  /** Proposed leader's myid; -1 for an observer's placeholder vote, which can never win. */
  leader: number;
  zxid: bigint;
  electionEpoch: bigint;
  peerEpoch: bigint;
}

export interface Notification extends Vote {
  kind: 'notification';
  state: ServerState;
}

export type QuorumBody =
  | { type: 'FOLLOWERINFO'; acceptedEpoch: bigint; lastZxid: bigint; observer: boolean }
  | { type: 'LEADERINFO'; newEpoch: bigint }
  /** fresh: this ACKEPOCH raised the learner's acceptedEpoch (only fresh acks count toward establishing an epoch). */
  | { type: 'ACKEPOCH'; currentEpoch: bigint; lastZxid: bigint; fresh: boolean }
  | { type: 'DIFF' }
  | { type: 'TRUNC'; zxid: bigint }
  | { type: 'SNAP'; zxid: bigint; data: Buffer }
  | { type: 'PROPOSAL'; zxid: bigint; payload: Buffer }
  | { type: 'NEWLEADER'; zxid: bigint }
  /** Cumulative: everything up to zxid is durable at the sender. */
  | { type: 'ACK'; zxid: bigint }
  /** Cumulative: everything up to zxid is committed. */
  | { type: 'COMMIT'; zxid: bigint }
  | { type: 'UPTODATE' }
  | { type: 'INFORM'; zxid: bigint; payload: Buffer }
  | { type: 'PING' }
  | { type: 'REQUEST'; requestId: bigint; payload: Buffer }
  | { type: 'SYNC'; requestId: bigint };

export type QuorumType = QuorumBody['type'];

export interface QuorumPacket {
  kind: 'quorum';
  session: bigint;
  seq: number;
  body: QuorumBody;
}

export type PeerMessage = Notification | QuorumPacket;

export class ZabDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZabDecodeError';
  }
}

const KIND_NOTIFICATION = 1;
const KIND_QUORUM = 2;
/** Bigger than any sane snapshot chunk or txn; a length beyond it is corruption, not data. */
export const MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;

export function encode(msg: PeerMessage): Buffer {
  const w = new JuteWriter(64);
  if (msg.kind === 'notification') {
    w.int(KIND_NOTIFICATION).int(msg.state).int(msg.leader).long(msg.zxid).long(msg.electionEpoch).long(msg.peerEpoch);
    return w.toBuffer();
  }
  const b = msg.body;
  w.int(KIND_QUORUM).long(msg.session).int(msg.seq).int(PacketType[b.type]);
  switch (b.type) {
    case 'FOLLOWERINFO':
      w.long(b.acceptedEpoch).long(b.lastZxid).bool(b.observer);
      break;
    case 'LEADERINFO':
      w.long(b.newEpoch);
      break;
    case 'ACKEPOCH':
      w.long(b.currentEpoch).long(b.lastZxid).bool(b.fresh);
      break;
    case 'DIFF':
    case 'UPTODATE':
    case 'PING':
      break;
    case 'TRUNC':
    case 'NEWLEADER':
    case 'ACK':
    case 'COMMIT':
      w.long(b.zxid);
      break;
    case 'SNAP':
      w.long(b.zxid).buffer(b.data);
      break;
    case 'PROPOSAL':
    case 'INFORM':
      w.long(b.zxid).buffer(b.payload);
      break;
    case 'REQUEST':
      w.long(b.requestId).buffer(b.payload);
      break;
    case 'SYNC':
      w.long(b.requestId);
      break;
  }
  return w.toBuffer();
}

/** Parses one whole message; throws ZabDecodeError on anything malformed (never another error type). */
export function decode(buf: Buffer): PeerMessage {
  try {
    const r = new JuteReader(buf);
    const msg = decodeFrom(r);
    if (r.remaining !== 0) throw new ZabDecodeError(`${r.remaining} trailing bytes`);
    return msg;
  } catch (err) {
    if (err instanceof ZabDecodeError) throw err;
    throw new ZabDecodeError((err as Error).message);
  }
}

function decodeFrom(r: JuteReader): PeerMessage {
  const kind = r.int();
  if (kind === KIND_NOTIFICATION) {
    const state = r.int();
    if (state < 0 || state > 3) throw new ZabDecodeError(`bad server state ${state}`);
    const leader = r.int();
    if (leader < -1) throw new ZabDecodeError(`bad leader id ${leader}`);
    return {
      kind: 'notification',
      state: state as ServerState,
      leader,
      zxid: r.long(),
      electionEpoch: nonNegative(r.long(), 'electionEpoch'),
      peerEpoch: r.long(),
    };
  }
  if (kind !== KIND_QUORUM) throw new ZabDecodeError(`unknown message kind ${kind}`);
  const session = r.long();
  const seq = r.int();
  if (seq < 0) throw new ZabDecodeError(`negative seq ${seq}`);
  const code = r.int();
  return { kind: 'quorum', session, seq, body: decodeBody(code, r) };
}

function decodeBody(code: number, r: JuteReader): QuorumBody {
  switch (code) {
    case PacketType.FOLLOWERINFO:
      return { type: 'FOLLOWERINFO', acceptedEpoch: r.long(), lastZxid: zxid(r), observer: strictBool(r) };
    case PacketType.LEADERINFO:
      return { type: 'LEADERINFO', newEpoch: nonNegative(r.long(), 'newEpoch') };
    case PacketType.ACKEPOCH:
      return { type: 'ACKEPOCH', currentEpoch: r.long(), lastZxid: zxid(r), fresh: strictBool(r) };
    case PacketType.DIFF:
      return { type: 'DIFF' };
    case PacketType.UPTODATE:
      return { type: 'UPTODATE' };
    case PacketType.PING:
      return { type: 'PING' };
    case PacketType.TRUNC:
      return { type: 'TRUNC', zxid: zxid(r) };
    case PacketType.NEWLEADER:
      return { type: 'NEWLEADER', zxid: zxid(r) };
    case PacketType.ACK:
      return { type: 'ACK', zxid: zxid(r) };
    case PacketType.COMMIT:
      return { type: 'COMMIT', zxid: zxid(r) };
    case PacketType.SNAP:
      return { type: 'SNAP', zxid: zxid(r), data: payload(r) };
    case PacketType.PROPOSAL:
      return { type: 'PROPOSAL', zxid: zxid(r), payload: payload(r) };
    case PacketType.INFORM:
      return { type: 'INFORM', zxid: zxid(r), payload: payload(r) };
    case PacketType.REQUEST:
      return { type: 'REQUEST', requestId: r.long(), payload: payload(r) };
    case PacketType.SYNC:
      return { type: 'SYNC', requestId: r.long() };
    default:
      throw new ZabDecodeError(`unknown packet type ${code}`);
  }
}

function zxid(r: JuteReader): bigint {
  return nonNegative(r.long(), 'zxid');
}

function nonNegative(v: bigint, what: string): bigint {
  if (v < 0n) throw new ZabDecodeError(`negative ${what}`);
  return v;
}

function strictBool(r: JuteReader): boolean {
  const at = r.offset;
  const v = r.bool();
  const byte = r.buf[at];
  if (byte !== 0 && byte !== 1) throw new ZabDecodeError(`bad boolean byte ${byte}`);
  return v;
}

function payload(r: JuteReader): Buffer {
  const b = r.buffer();
  if (b === null) throw new ZabDecodeError('null payload');
  if (b.length > MAX_PAYLOAD_BYTES) throw new ZabDecodeError(`payload of ${b.length} bytes`);
  // Proposals stay in the in-memory log: keep them off Node's shared pool slabs (see ownedCopy).
  return ownedCopy(b);
}
