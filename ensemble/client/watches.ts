/**
 * Client-side watch tables, as ZooKeeper's ZKWatchManager keeps them: one-time data, exist and child watches,
 * plus persistent and persistent-recursive ones. A server event is turned into the *set* of watchers it
 * triggers, so a watcher registered several ways for the same event still runs exactly once.
 */
import { EventType, WatcherType } from '../jute/constants.ts';

export interface WatchedEvent {
  type: number; // EventType
  state: number; // KeeperState
  path: string;
}
export type Watcher = (event: WatchedEvent) => void;

type Table = Map<string, Set<Watcher>>;

export type WatchKind = 'data' | 'exist' | 'child' | 'persistent' | 'recursive';

export interface WatchPaths {
  data: string[];
  exist: string[];
  child: string[];
  persistent: string[];
  recursive: string[];
}

export class WatchRegistry {
  private readonly tables: Record<WatchKind, Table> = {
    data: new Map(),
    exist: new Map(),
    child: new Map(),
    persistent: new Map(),
    recursive: new Map(),
  };

  add(kind: WatchKind, path: string, watcher: Watcher): void {
    const table = this.tables[kind];
    let set = table.get(path);
    if (!set) table.set(path, (set = new Set()));
    set.add(watcher);
  }

  /** The watchers a server event triggers; one-time watches are consumed. */
  materialize(type: number, path: string): Set<Watcher> {
    const result = new Set<Watcher>();
    const take = (kind: WatchKind): void => {
      const set = this.tables[kind].get(path);
      if (!set) return;
      this.tables[kind].delete(path);
      for (const w of set) result.add(w);
    };
    switch (type) {
      case EventType.NodeCreated:
      case EventType.NodeDataChanged:
        take('data');
        take('exist');
        break;
      case EventType.NodeChildrenChanged:
        take('child');
        break;
      case EventType.NodeDeleted:
        take('data');
        take('exist');
        take('child');
        break;
      default:
        return result;
    }
    for (const w of this.tables.persistent.get(path) ?? []) result.add(w);
    // Recursive watches see every change below them, except child-list changes (implied by create/delete).
    if (type !== EventType.NodeChildrenChanged) {
      for (const ancestor of selfAndAncestors(path)) {
        for (const w of this.tables.recursive.get(ancestor) ?? []) result.add(w);
      }
    }
    return result;
  }

  /** Tables a WatcherType covers for checkWatches/removeWatches (Data covers exist watches too). */
  private kindsFor(watcherType: number): WatchKind[] {
    switch (watcherType) {
      case WatcherType.Children:
        return ['child'];
      case WatcherType.Data:
        return ['data', 'exist'];
      default:
        return ['child', 'data', 'exist', 'persistent', 'recursive'];
    }
  }

  contains(path: string, watcherType: number, watcher?: Watcher): boolean {
    return this.kindsFor(watcherType).some((kind) => {
      const set = this.tables[kind].get(path);
      return set !== undefined && (watcher ? set.has(watcher) : set.size > 0);
    });
  }

  /** Whether other watchers than `watcher` would keep the server-side watch of this type alive after removal. */
  othersRemain(path: string, watcherType: number, watcher?: Watcher): boolean {
    if (!watcher) return false;
    return this.kindsFor(watcherType).some((kind) => {
      const set = this.tables[kind].get(path);
      if (!set) return false;
      for (const w of set) if (w !== watcher) return true;
      return false;
    });
  }

  /** Removes watchers and returns them grouped by the "watch removed" event each should receive. */
  remove(path: string, watcherType: number, watcher?: Watcher): Map<number, Set<Watcher>> {
    const removed = new Map<number, Set<Watcher>>();
    const eventFor: Record<WatchKind, number> = {
      child: EventType.ChildWatchRemoved,
      data: EventType.DataWatchRemoved,
      exist: EventType.DataWatchRemoved,
      persistent: EventType.PersistentWatchRemoved,
      recursive: EventType.PersistentWatchRemoved,
    };
    for (const kind of this.kindsFor(watcherType)) {
      const table = this.tables[kind];
      const set = table.get(path);
      if (!set) continue;
      const gone = watcher ? (set.has(watcher) ? [watcher] : []) : [...set];
      for (const w of gone) set.delete(w);
      if (set.size === 0) table.delete(path);
      if (gone.length === 0) continue;
      const type = eventFor[kind];
      let bucket = removed.get(type);
      if (!bucket) removed.set(type, (bucket = new Set()));
      for (const w of gone) bucket.add(w);
    }
    return removed;
  }

  /** Every watcher of every table (for session-level events such as expiry). */
  all(): Set<Watcher> {
    const out = new Set<Watcher>();
    for (const table of Object.values(this.tables)) for (const set of table.values()) for (const w of set) out.add(w);
    return out;
  }

  paths(): WatchPaths {
    const keys = (kind: WatchKind): string[] => [...this.tables[kind].keys()];
    return { data: keys('data'), exist: keys('exist'), child: keys('child'), persistent: keys('persistent'), recursive: keys('recursive') };
  }

  get isEmpty(): boolean {
    return Object.values(this.tables).every((t) => t.size === 0);
  }

  clear(): void {
    for (const table of Object.values(this.tables)) table.clear();
  }
}

/** "/a/b" → "/a/b", "/a", "/". */
export function* selfAndAncestors(path: string): Generator<string> {
  let p = path;
  for (;;) {
    yield p;
    if (p === '/') return;
    const cut = p.lastIndexOf('/');
    p = cut <= 0 ? '/' : p.slice(0, cut);
  }
}
