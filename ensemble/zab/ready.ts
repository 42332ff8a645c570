/**
 * What a ZabNode asks its runtime to do. The runtime handles a Ready in this order:
 *  1. `storage`, in order. 'truncate', 'snapshot' and 'epochs' must be durable before step 2;
 *     'append' may complete later — report it with persisted(zxid) once it (and all before it) is durable.
 *  2. `messages`: send (the node already waited for whatever durability each message promises).
 *  3. `apply`, in order: commit txns into the state / replace the state with a snapshot.
 *  4. `events`.
 */
import type { PeerMessage } from './messages.ts';

export interface LogEntry {
  zxid: bigint;
  payload: Buffer;
}

export type StorageOp =
  | { op: 'append'; entry: LogEntry }
  /** Drop every logged txn with a zxid above this one. */
  | { op: 'truncate'; afterZxid: bigint }
  /**
   * SNAP sync: replace snapshot and log with this snapshot followed by exactly these entries, atomically
   * (a crash must leave either the old state or all of the new one: a half-installed SNAP can hide
   * committed txns the old log held).
   */
  | { op: 'snapshot'; zxid: bigint; data: Buffer; entries: LogEntry[] }
  | { op: 'epochs'; acceptedEpoch: bigint; currentEpoch: bigint };

export type ApplyOp = { op: 'commit'; entry: LogEntry } | { op: 'restore'; zxid: bigint; data: Buffer };

export type Role = 'looking' | 'following' | 'leading' | 'observing';

export type NodeEvent =
  /** ready: the leader is established / the learner is up to date and serving. */
  | { type: 'role'; role: Role; leaderId: number | null; epoch: bigint; ready: boolean }
  /** Leader needs its current state serialized for a SNAP sync: answer with snapshotProvided(requestId, ...). */
  | { type: 'snapshotRequest'; requestId: number }
  /**
   * Leader (diskHistory) needs, for a learner's DIFF, its logged txns with afterZxid < zxid <= upToZxid from disk:
   * answer with historyProvided(requestId, txns), or null when the log does not hold a txn at afterZxid, cannot be
   * read, or holds more than maxTxns of them (the learner then gets a SNAP).
   */
  | { type: 'historyRequest'; requestId: number; afterZxid: bigint; upToZxid: bigint; maxTxns: number }
  /** A learner forwarded a write; the runtime prepares it and calls propose(). */
  | { type: 'request'; from: number; requestId: bigint; payload: Buffer }
  /** Everything proposed before this sync was issued is now committed here. */
  | { type: 'syncDone'; requestId: bigint };

export interface Outgoing {
  to: number;
  message: PeerMessage;
}

export interface Ready {
  storage: StorageOp[];
  messages: Outgoing[];
  apply: ApplyOp[];
  events: NodeEvent[];
}

export function emptyReady(): Ready {
  return { storage: [], messages: [], apply: [], events: [] };
}

export function isEmptyReady(r: Ready): boolean {
  return r.storage.length === 0 && r.messages.length === 0 && r.apply.length === 0 && r.events.length === 0;
}
