/**
 * Server-side watch table (ZooKeeper's data and child WatchManagers in one). Each (session, path) holds a bit set of
 * watch kinds, so a one-time watch and a persistent watch on the same path live side by side (ZooKeeper 3.9's
 * WatchStats; 3.8.0 lets the last-added mode overwrite the other).
 */
import { EventType, KeeperState, WatcherType } from '../jute/constants.ts';
import type { WatcherEvent } from '../jute/records.ts';
import type { TreeChange, WatchKind, WatchManagerApi } from './api.ts';
import { parentOf } from './paths.ts';

const DATA = 1;
const CHILD = 2;
const PERSISTENT = 4;
const RECURSIVE = 8;

const KIND_BIT: Record<WatchKind, number> = { data: DATA, child: CHILD, persistent: PERSISTENT, persistentRecursive: RECURSIVE };

/** Bits that receive an event on the watched path itself, and the one-time bits it consumes. */
const NODE_EVENT = {
  [EventType.NodeCreated]: { fires: DATA | PERSISTENT | RECURSIVE, consumes: DATA },
  [EventType.NodeDataChanged]: { fires: DATA | PERSISTENT | RECURSIVE, consumes: DATA },
  [EventType.NodeDeleted]: { fires: DATA | CHILD | PERSISTENT | RECURSIVE, consumes: DATA | CHILD },
  [EventType.NodeChildrenChanged]: { fires: CHILD | PERSISTENT, consumes: CHILD },
} as const;

/** Bits removed by removeWatches/checked by checkWatches for each WatcherType. */
function bitsFor(watcherType: number): number {
  switch (watcherType) {
    case WatcherType.Children:
      return CHILD | PERSISTENT;
    case WatcherType.Data:
      return DATA | PERSISTENT | RECURSIVE;
    case WatcherType.Any:
      return DATA | CHILD | PERSISTENT | RECURSIVE;
    default:
      return 0;
  }
}

/** ZooKeeper counts a watch once per manager: data-side and child-side (a persistent watch is in both). */
function weight(bits: number): number {
  return (bits & (DATA | PERSISTENT | RECURSIVE) ? 1 : 0) + (bits & (CHILD | PERSISTENT) ? 1 : 0);
}

export interface Notification {
  sessionId: bigint;
  event: WatcherEvent;
}

export class WatchManager implements WatchManagerApi {
  /** path → session → kind bits. */
  private readonly table = new Map<string, Map<bigint, number>>();
  /** session → watched paths. */
  private readonly sessions = new Map<bigint, Set<string>>();
  /** path → sessions with a recursive watch there; walked for every ancestor of a changed path. */
  private readonly recursive = new Map<string, Set<bigint>>();
  private total = 0;

  add(sessionId: bigint, path: string, kind: WatchKind): void {
    const bit = KIND_BIT[kind];
    let watchers = this.table.get(path);
    if (!watchers) this.table.set(path, (watchers = new Map()));
    const before = watchers.get(sessionId) ?? 0;
    const after = before | bit;
    if (after === before) return;
    watchers.set(sessionId, after);
    this.total += weight(after) - weight(before);
    let paths = this.sessions.get(sessionId);
    if (!paths) this.sessions.set(sessionId, (paths = new Set()));
    paths.add(path);
    if (bit === RECURSIVE) {
      let set = this.recursive.get(path);
      if (!set) this.recursive.set(path, (set = new Set()));
      set.add(sessionId);
    }
  }

  remove(sessionId: bigint, path: string, watcherType: number): boolean {
    const bits = this.table.get(path)?.get(sessionId) ?? 0;
    const clear = bits & bitsFor(watcherType);
    if (clear === 0) return false;
    this.setBits(sessionId, path, bits, bits & ~clear);
    return true;
  }

  has(sessionId: bigint, path: string, watcherType: number): boolean {
    return ((this.table.get(path)?.get(sessionId) ?? 0) & bitsFor(watcherType)) !== 0;
  }

  removeSession(sessionId: bigint): void {
    const paths = this.sessions.get(sessionId);
    if (!paths) return;
    for (const path of [...paths]) {
      const bits = this.table.get(path)?.get(sessionId) ?? 0;
      this.setBits(sessionId, path, bits, 0);
    }
    this.sessions.delete(sessionId);
  }

  /** Updates one (session, path) entry and every index that mirrors it. */
  private setBits(sessionId: bigint, path: string, before: number, after: number): void {
    const watchers = this.table.get(path);
    if (!watchers) return;
    this.total += weight(after) - weight(before);
    if ((before & RECURSIVE) !== 0 && (after & RECURSIVE) === 0) {
      const set = this.recursive.get(path);
      if (set) {
        set.delete(sessionId);
        if (set.size === 0) this.recursive.delete(path);
      }
    }
    if (after !== 0) {
      watchers.set(sessionId, after);
      return;
    }
    watchers.delete(sessionId);
    if (watchers.size === 0) this.table.delete(path);
    const paths = this.sessions.get(sessionId);
    if (paths) {
      paths.delete(path);
      if (paths.size === 0) this.sessions.delete(sessionId);
    }
  }

  trigger(change: TreeChange, mayRead?: (sessionId: bigint, path: string) => boolean): Notification[] {
    const out: Notification[] = [];
    switch (change.type) {
      case 'created':
        this.fire(change.path, EventType.NodeCreated, mayRead, out);
        this.fireParent(change.path, mayRead, out);
        break;
      case 'deleted':
        this.fire(change.path, EventType.NodeDeleted, mayRead, out);
        this.fireParent(change.path, mayRead, out);
        break;
      case 'dataChanged':
        this.fire(change.path, EventType.NodeDataChanged, mayRead, out);
        break;
      case 'childrenChanged':
        this.fire(change.path, EventType.NodeChildrenChanged, mayRead, out);
        break;
    }
    return out;
  }

  private fireParent(path: string, mayRead: ((sessionId: bigint, path: string) => boolean) | undefined, out: Notification[]): void {
    const parent = parentOf(path);
    if (parent !== null) this.fire(parent, EventType.NodeChildrenChanged, mayRead, out);
  }

  /** One event (path, type): each session at most once; one-time watches consumed; persistent ones filtered by mayRead. */
  private fire(
    path: string,
    type: keyof typeof NODE_EVENT,
    mayRead: ((sessionId: bigint, path: string) => boolean) | undefined,
    out: Notification[],
  ): void {
    const { fires, consumes } = NODE_EVENT[type];
    const notified = new Set<bigint>();
    const event = (): WatcherEvent => ({ type, state: KeeperState.SyncConnected, path });
    const watchers = this.table.get(path);
    if (watchers) {
      for (const [sessionId, bits] of watchers) {
        const hit = bits & fires;
        if (hit === 0) continue;
        const consumed = bits & consumes;
        if (consumed !== 0) this.setBits(sessionId, path, bits, bits & ~consumed);
        // A one-time watch was set by a read the session was allowed to make; persistent ones are re-checked.
        if (consumed === 0 && mayRead && !mayRead(sessionId, path)) continue;
        notified.add(sessionId);
        out.push({ sessionId, event: event() });
      }
    }
    // Recursive watches on ancestors see every node event below them, but never NodeChildrenChanged.
    if (this.recursive.size === 0 || type === EventType.NodeChildrenChanged) return;
    for (let ancestor = parentOf(path); ancestor !== null; ancestor = parentOf(ancestor)) {
      const sessions = this.recursive.get(ancestor);
      if (!sessions) continue;
      for (const sessionId of sessions) {
        if (notified.has(sessionId)) continue;
        if (mayRead && !mayRead(sessionId, path)) continue;
        notified.add(sessionId);
        out.push({ sessionId, event: event() });
      }
    }
  }

  count(): number {
    return this.total;
  }

  byPath(): Map<string, bigint[]> {
    const out = new Map<string, bigint[]>();
    for (const [path, watchers] of this.table) out.set(path, [...watchers.keys()]);
    return out;
  }

  bySession(): Map<bigint, string[]> {
    const out = new Map<bigint, string[]>();
    for (const [sessionId, paths] of this.sessions) out.set(sessionId, [...paths]);
    return out;
  }
}
