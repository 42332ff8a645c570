/**
 * The seam between a node's request pipeline and how writes become committed, in the order they must be applied.
 *
 * The pipeline does not stamp zxids: a write request goes to `submit`; whoever orders writes (this node when it is
 * standalone or the leader, the leader over the network when it is a follower) stamps it into a Txn, makes it
 * durable (and replicated), and every node then sees the same committed Txns, in zxid order, through `onCommit`.
 * The pipeline applies each one to its DataTree, delivers watch events, and replies when the Txn's
 * (sessionId, cxid) belongs to one of its own pending requests; Txns from other servers' sessions are applied
 * without a reply.
 *
 *   standalone  — LocalReplicator: stamp, append to the log, group-commit fdatasync, commit.
 *   replicated  — ZabReplicator: leader stamps and proposes; followers forward; commit after a quorum acked.
 */
import type { Id } from '../jute/records.ts';
import type { Txn, TxnOp } from '../tree/api.ts';

export interface WriteRequest {
  /** 0n for server-generated writes (container cleanup, TTL expiry, session expiry is sessionId of the session). */
  sessionId: bigint;
  cxid: number;
  /** The session's identities at request time; checked against ACLs when the txn is applied. */
  auth: Id[];
  op: TxnOp;
  /** Server id that holds the client connection (replies go there); 0 when standalone. */
  origin?: number;
}

export type ReplicatorState =
  /** Writes are accepted. */
  | 'serving'
  /** Not serving writes now (looking for a leader, syncing, lost quorum): submit fails fast. */
  | 'unavailable';

export interface CommitHandler {
  (txn: Txn): void;
}

export interface Replicator {
  readonly state: ReplicatorState;
  /**
   * Queue a write. Returns false (and does nothing) when the write cannot be accepted now; the pipeline then
   * answers the client with CONNECTIONLOSS and drops the connection so the client retries elsewhere, as ZooKeeper
   * does when a server is not serving.
   */
  submit(req: WriteRequest): boolean;
  /** Committed txns, in zxid order, exactly once each. Registered once, before `start`. */
  onCommit(handler: CommitHandler): void;
  /** Becomes serving/unavailable (the node closes client connections when it stops serving). */
  onStateChange(handler: (state: ReplicatorState) => void): void;
  /** ZooKeeper's `sync`: resolves once this node has applied everything committed before the call. */
  sync(): Promise<void>;
  close(): Promise<void>;
}
