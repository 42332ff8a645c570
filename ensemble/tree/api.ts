/**
 * The contract between the data tree (pure, deterministic) and the node runtime.
 *
 * A write is a Txn: the request as the client sent it plus a header stamped by the (leader) server.
 * Every replica applies the same Txns in zxid order and gets the same results, including errors, because
 * validation (paths, versions, ACLs, node types) happens inside `apply` against the tree as it is at that zxid.
 * That keeps the pipeline prepare → propose → commit → apply → reply free of ZooKeeper's "outstanding changes" overlay.
 */
import type { SnapshotInProgress } from './snapshot-in-progress.ts';
import type { ACL, Id, Stat, WatcherEvent } from '../jute/records.ts';
import type { MultiResult } from '../jute/multi.ts';

export interface TxnHeader {
  /** Session that issued the request (0n for server-generated txns). */
  sessionId: bigint;
  /** Client xid, echoed in the reply. */
  cxid: number;
  zxid: bigint;
  /** Leader's wall clock in ms when the txn was created: ctime/mtime, TTL and session expiry use it. */
  time: bigint;
}

export type WriteOp =
  | { type: 'create'; opcode: 1 | 15 | 19 | 21; path: string; data: Buffer | null; acl: ACL[]; flags: number; ttl: bigint }
  | { type: 'delete'; path: string; version: number }
  | { type: 'setData'; path: string; data: Buffer | null; version: number }
  | { type: 'check'; path: string; version: number };

export type TxnOp =
  | WriteOp
  | { type: 'setACL'; path: string; acl: ACL[]; version: number }
  | { type: 'multi'; ops: WriteOp[] }
  | { type: 'createSession'; timeout: number; password: Buffer }
  /** Ends a session: deletes all its ephemerals in this one txn. */
  | { type: 'closeSession' }
  /** Server-generated: remove an empty container, or a TTL node past its ttl, if that is still true at apply. */
  | { type: 'deleteContainer'; path: string }
  | { type: 'deleteExpiredTTL'; path: string };

export interface Txn {
  hdr: TxnHeader;
  /** Identities of the issuing session at the time of the request (for ACL checks at apply). */
  auth: Id[];
  op: TxnOp;
}

/** A change that can fire watches: data/exist watches on `path`, child watches on its parent. */
export interface TreeChange {
  type: 'created' | 'deleted' | 'dataChanged' | 'childrenChanged';
  path: string;
}

export interface ApplyResult {
  /** 0 or a KeeperException code. For multi, the whole txn's outcome (OK even when an op failed; see results). */
  err: number;
  /** create: the actual path (with sequence suffix). */
  path?: string;
  /** create2/setData/setACL: the node's Stat after the change. */
  stat?: Stat;
  /** multi: one result per op, ZooKeeper style (OK for ops before the failure, its code, then RUNTIMEINCONSISTENCY). */
  results?: MultiResult[];
  /** Changes in the order they happened; empty when err != 0. */
  changes: TreeChange[];
}

export type ReadResult<T> = { err: 0; value: T } | { err: number };

export interface TreeOptions {
  /** `zookeeper.DigestAuthenticationProvider.superDigest`: "super:base64(sha1)"; that identity passes every ACL. */
  superDigest?: string;
  /** extendedTypesEnabled: allows TTL nodes. */
  extendedTypesEnabled?: boolean;
}

export interface SessionInfo {
  sessionId: bigint;
  timeout: number;
  password: Buffer;
}

export interface DataTreeApi {
  readonly lastZxid: bigint;
  readonly nodeCount: number;
  apply(txn: Txn): ApplyResult;

  getData(path: string, auth: Id[]): ReadResult<{ data: Buffer | null; stat: Stat }>;
  exists(path: string): Stat | null;
  getChildren(path: string, auth: Id[]): ReadResult<{ children: string[]; stat: Stat }>;
  /** As getChildren, with the names already in their wire form (vector<ustring>), cached until they change. */
  getEncodedChildren(path: string, auth: Id[]): ReadResult<{ encodedChildren: Buffer; stat: Stat }>;
  /** Needs READ or ADMIN; without ADMIN, digest ids are shown as `user:x` (CVE-2019-0201). */
  getACL(path: string, auth: Id[]): ReadResult<{ acl: ACL[]; stat: Stat }>;
  getAllChildrenNumber(path: string, auth: Id[]): ReadResult<number>;
  getEphemerals(sessionId: bigint, prefix: string): string[];

  /** Live sessions (replicated state: created/closed by txns). */
  sessions(): Iterable<SessionInfo>;
  /** Containers with no children that once had one, and TTL nodes whose ttl passed by `now` (ms). */
  findDeletable(now: bigint): { containers: string[]; expiredTTL: string[] };
  /**
   * Whether `auth` may READ `path`: the check behind WatchManager.trigger's `mayRead`. Call it right after the apply
   * whose changes are being delivered: a node that txn deleted is checked against the ACL it had.
   */
  mayRead?(path: string, auth: Id[]): boolean;
  /** Snapshot of every node, the sessions and lastZxid (DataTree.deserialize reads it back). */
  serialize?(): Buffer;
  /** The same snapshot as of now, written in slices while txns go on applying (see SnapshotInProgress). */
  beginSnapshot?(): SnapshotInProgress;
}

/**
 * Server-side watch table of one node (watches are local to the server a session is connected to).
 * As in ZooKeeper's server, an `exists` watch is a data watch; the client keeps exist/data apart.
 */
export type WatchKind = 'data' | 'child' | 'persistent' | 'persistentRecursive';

export interface WatchManagerApi {
  add(sessionId: bigint, path: string, kind: WatchKind): void;
  /** `watcherType` is WatcherType (1 children, 2 data, 3 any). Returns whether anything was removed. */
  remove(sessionId: bigint, path: string, watcherType: number): boolean;
  has(sessionId: bigint, path: string, watcherType: number): boolean;
  removeSession(sessionId: bigint): void;
  /**
   * The notifications one change causes: at most one per (session, path, event type); one-time watches are consumed.
   * `mayRead(sessionId, path)` filters persistent/recursive watch events to paths the session may READ.
   */
  trigger(change: TreeChange, mayRead?: (sessionId: bigint, path: string) => boolean): { sessionId: bigint; event: WatcherEvent }[];
  /** For wchs / wchc / wchp and metrics. */
  count(): number;
  byPath(): Map<string, bigint[]>;
  bySession(): Map<bigint, string[]>;
}
