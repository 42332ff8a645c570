/**
 * ZooKeeper's ContainerManager: every checkIntervalMs, empty containers (that once had a child) and TTL nodes
 * past their ttl are removed through ordinary txns, so every replica removes them at the same zxid.
 * Whether a node is still deletable is decided again at apply time.
 */
import type { DataTreeApi, TxnOp } from '../tree/api.ts';

export class ContainerManager {
  private timer: NodeJS.Timeout | null = null;
  /** Paths with a removal in flight, so a slow commit is not proposed twice. */
  private readonly pending = new Set<string>();

  constructor(
    private readonly tree: DataTreeApi,
    private readonly intervalMs: number,
    private readonly propose: (op: TxnOp) => Promise<unknown>,
    private readonly now: () => number = Date.now,
  ) {}

  start(onError: (e: Error) => void = () => {}): void {
    this.timer = setInterval(() => {
      try {
        this.check();
      } catch (e) {
        onError(e as Error);
      }
    }, this.intervalMs);
    this.timer.unref();
  }

  check(): void {
    const { containers, expiredTTL } = this.tree.findDeletable(BigInt(this.now()));
    const removals: { path: string; op: TxnOp }[] = [
      ...containers.map((path) => ({ path, op: { type: 'deleteContainer', path } as const })),
      ...expiredTTL.map((path) => ({ path, op: { type: 'deleteExpiredTTL', path } as const })),
    ];
    for (const { path, op } of removals) {
      if (this.pending.has(path)) continue;
      this.pending.add(path);
      this.propose(op)
        .catch(() => {})
        .finally(() => this.pending.delete(path));
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
