/**
 * What a learner sends its leader inside ZAB's REQUEST packet (`ZabNode.forwardRequest`): either a client write
 * to be stamped and proposed, or a batch of session ids that had activity on the learner (pings, requests), so
 * the leader — which alone decides session expiry — keeps those sessions alive.
 *
 * Format: u8 kind, then for a write `int32 origin` + the WriteRequest as a Txn with a zero zxid/time (the txn
 * codec already knows every op), for session activity `int32 count` + that many int64 session ids.
 */
import { JuteReader, JuteWriter, JuteError } from '../../jute/buffer.ts';
import { decodeTxn, encodeTxn } from '../../jute/txn.ts';
import type { WriteRequest } from '../replicator.ts';

const KIND_WRITE = 1;
const KIND_SESSION_ACTIVITY = 2;

/** Bounds one activity batch so a follower with many sessions sends several small packets, not one huge one. */
export const MAX_SESSIONS_PER_BATCH = 10_000;

export type Forwarded = { kind: 'write'; request: WriteRequest } | { kind: 'sessionActivity'; sessionIds: bigint[] };

export function encodeForwardedWrite(req: WriteRequest): Buffer {
  const txn = encodeTxn({ hdr: { sessionId: req.sessionId, cxid: req.cxid, zxid: 0n, time: 0n }, auth: req.auth, op: req.op });
  const head = Buffer.alloc(5);
  head.writeUInt8(KIND_WRITE, 0);
  head.writeInt32BE(req.origin ?? 0, 1);
  return Buffer.concat([head, txn]);
}

export function encodeSessionActivity(sessionIds: readonly bigint[]): Buffer {
  if (sessionIds.length > MAX_SESSIONS_PER_BATCH) throw new RangeError(`${sessionIds.length} sessions in one activity batch`);
  const w = new JuteWriter(4 + 8 * sessionIds.length);
  w.int(sessionIds.length);
  for (const id of sessionIds) w.long(id);
  return Buffer.concat([Buffer.from([KIND_SESSION_ACTIVITY]), w.toBuffer()]);
}

/** Throws JuteError on anything malformed: a learner's payload is input, not trusted structure. */
export function decodeForwarded(buf: Buffer): Forwarded {
  if (buf.length < 1) throw new JuteError('empty forwarded payload');
  const kind = buf.readUInt8(0);
  if (kind === KIND_WRITE) {
    if (buf.length < 5) throw new JuteError('truncated forwarded write');
    const origin = buf.readInt32BE(1);
    const txn = decodeTxn(buf.subarray(5));
    return { kind: 'write', request: { sessionId: txn.hdr.sessionId, cxid: txn.hdr.cxid, auth: txn.auth, op: txn.op, origin } };
  }
  if (kind === KIND_SESSION_ACTIVITY) {
    const r = new JuteReader(buf.subarray(1));
    const n = r.int();
    if (n < 0 || n > MAX_SESSIONS_PER_BATCH) throw new JuteError(`bad session count ${n}`);
    const sessionIds: bigint[] = [];
    for (let i = 0; i < n; i++) sessionIds.push(r.long());
    if (r.remaining !== 0) throw new JuteError(`${r.remaining} trailing bytes after session activity`);
    return { kind: 'sessionActivity', sessionIds };
  }
  throw new JuteError(`unknown forwarded kind ${kind}`);
}
