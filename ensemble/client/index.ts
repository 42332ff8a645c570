/**
 * The TypeScript ZooKeeper client: `ZkClient` and the helpers code built on it needs.
 *
 * Semantics worth knowing (all ZooKeeper's own, checked against Apache ZooKeeper 3.8):
 * - One-time watches (exists/getData/getChildren with a watcher) are kept client-side in ZooKeeper's data, exist
 *   and child tables and registered only when the read succeeds (exists on a missing node arms an exist watch).
 *   A server event runs every watcher it triggers exactly once, synchronously, before the promise of any reply
 *   that arrived after it resolves: a read issued after the event sees the change.
 * - `watch: true` uses the `defaultWatcher` option. Connection-state events (type EventType.None: SyncConnected,
 *   Disconnected, Expired, AuthFailed, Closed) go to the default watcher and the 'event' emitter only, never to
 *   per-path watchers; watch `zk.on('state')` to react to them.
 * - Watches survive reconnects (re-registered with setWatches2 and the last zxid seen, so a change missed while
 *   disconnected still fires); they are gone for good once the session expires.
 * - Requests in flight when a connection breaks fail with CONNECTIONLOSS; requests issued while disconnected wait
 *   for the reconnect (at most one session timeout, then CONNECTIONLOSS). After close/expiry requests fail with
 *   SESSIONEXPIRED, after an auth failure with AUTHFAILED. `connect()` gives up after max(sessionTimeout,
 *   connectTimeout) and closes the client.
 * - The server keeps one persistent-watch mode per path and session: adding PERSISTENT_RECURSIVE on a path that
 *   has a PERSISTENT watch replaces it server-side.
 */
export { ZkClient, type ZkClientEvents } from './client.ts';
export { ZkError, isZkError } from './errors.ts';
export type { ClientState, ZkClientOptions } from './session.ts';
export type { Watcher, WatchedEvent } from './watches.ts';
export { op, type CreateOptions } from './ops.ts';
export { OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, CREATOR_ALL_ACL, ANYONE_ID_UNSAFE, AUTH_IDS, digestAcl, digestId } from './acl.ts';
export { validatePath, pathProblem } from './paths.ts';
export { parseConnectString } from './connect-string.ts';
export {
  AddWatchMode,
  CreateMode,
  ErrorCode,
  ErrorCodeNames,
  EventType,
  KeeperState,
  OpCode,
  Perms,
  WatcherType,
} from '../jute/constants.ts';
export type { ACL, ClientInfo, Id, Stat } from '../jute/records.ts';
export type { MultiOp, MultiResult } from '../jute/multi.ts';
