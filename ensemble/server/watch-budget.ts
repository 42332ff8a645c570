/**
 * The per-session watch bound (ZooKeeper has none): a WatchManagerApi wrapper that knows how many distinct paths
 * each session watches, so the pipeline can refuse a request that would add one more than `maxPerSession`.
 * Without a bound, one session could register watches on millions of paths and hold the server's memory.
 */
import { WatcherType } from '../jute/constants.ts';
import type { TreeChange, WatchKind, WatchManagerApi } from '../tree/api.ts';

export class WatchBudget implements WatchManagerApi {
  /** session → the paths it has at least one watch on (as far as we know: one-time watches are re-checked). */
  private readonly paths = new Map<bigint, Set<string>>();

  constructor(
    private readonly inner: WatchManagerApi,
    readonly maxPerSession: number,
  ) {}

  /** Paths `sessionId` watches now. */
  watchedBy(sessionId: bigint): number {
    return this.paths.get(sessionId)?.size ?? 0;
  }

  /** Whether watches on `paths` would keep `sessionId` within the bound (a path it already watches costs nothing). */
  fits(sessionId: bigint, paths: readonly string[]): boolean {
    const have = this.paths.get(sessionId);
    const fresh = new Set(paths.filter((p) => !have?.has(p)));
    return (have?.size ?? 0) + fresh.size <= this.maxPerSession;
  }

  /** Adds the watch if it fits; false (and nothing added) if it would break the bound. */
  tryAdd(sessionId: bigint, path: string, kind: WatchKind): boolean {
    if (!this.fits(sessionId, [path])) return false;
    this.add(sessionId, path, kind);
    return true;
  }

  add(sessionId: bigint, path: string, kind: WatchKind): void {
    this.inner.add(sessionId, path, kind);
    let set = this.paths.get(sessionId);
    if (!set) this.paths.set(sessionId, (set = new Set()));
    set.add(path);
  }

  remove(sessionId: bigint, path: string, watcherType: number): boolean {
    const removed = this.inner.remove(sessionId, path, watcherType);
    if (removed) this.recheck(sessionId, path);
    return removed;
  }

  has(sessionId: bigint, path: string, watcherType: number): boolean {
    return this.inner.has(sessionId, path, watcherType);
  }

  removeSession(sessionId: bigint): void {
    this.inner.removeSession(sessionId);
    this.paths.delete(sessionId);
  }

  trigger(change: TreeChange, mayRead?: (sessionId: bigint, path: string) => boolean): { sessionId: bigint; event: WatcherEvent }[] {
    const out = this.inner.trigger(change, mayRead);
    // A fired one-time watch is consumed; its event names the watched path (recursive events name others: no-op).
    for (const n of out) if (n.event.path) this.recheck(n.sessionId, n.event.path);
    return out;
  }

  count(): number {
    return this.inner.count();
  }

  byPath(): Map<string, bigint[]> {
    return this.inner.byPath();
  }

  bySession(): Map<bigint, string[]> {
    return this.inner.bySession();
  }

  private recheck(sessionId: bigint, path: string): void {
    const set = this.paths.get(sessionId);
    if (!set?.has(path) || this.inner.has(sessionId, path, WatcherType.Any)) return;
    set.delete(path);
    if (set.size === 0) this.paths.delete(sessionId);
  }
}

type WatcherEvent = ReturnType<WatchManagerApi['trigger']>[number]['event'];
