/**
 * When to take the next snapshot, ZooKeeper's way: after more than snapCount/2 + random(snapCount/2) txns
 * (or snapSizeLimitInKb/2 + random of the same in logged bytes). The randomness keeps the nodes of an
 * ensemble from all snapshotting at the same moment.
 */

export const DEFAULT_SNAP_COUNT = 100_000;
export const DEFAULT_SNAP_SIZE_LIMIT_KB = 4 * 1024 * 1024;

export interface SnapshotTriggerOptions {
  snapCount?: number;
  /** 0 or less disables the size rule. */
  snapSizeLimitInKb?: number;
  /** Returns [0, 1); injectable for deterministic tests. */
  random?: () => number;
}

export class SnapshotTrigger {
  private readonly snapCount: number;
  private readonly snapSizeBytes: number;
  private readonly random: () => number;
  private txnsSinceSnap = 0;
  private bytesSinceSnap = 0;
  private randomTxns = 0;
  private randomBytes = 0;

  constructor(options: SnapshotTriggerOptions = {}) {
    this.snapCount = Math.max(2, options.snapCount ?? DEFAULT_SNAP_COUNT);
    this.snapSizeBytes = Math.max(0, (options.snapSizeLimitInKb ?? DEFAULT_SNAP_SIZE_LIMIT_KB) * 1024);
    this.random = options.random ?? Math.random;
    this.reset();
  }

  /** Counts one logged txn; true when it is time to snapshot (then call `reset`). */
  recordTxn(bytes: number): boolean {
    this.txnsSinceSnap++;
    this.bytesSinceSnap += bytes;
    return this.due();
  }

  due(): boolean {
    const half = Math.floor(this.snapCount / 2);
    if (this.txnsSinceSnap > half + this.randomTxns) return true;
    return this.snapSizeBytes > 0 && this.bytesSinceSnap > Math.floor(this.snapSizeBytes / 2) + this.randomBytes;
  }

  /** Starts a new interval with fresh random thresholds. */
  reset(): void {
    this.txnsSinceSnap = 0;
    this.bytesSinceSnap = 0;
    this.randomTxns = Math.floor(this.random() * Math.floor(this.snapCount / 2));
    this.randomBytes = Math.floor(this.random() * Math.floor(this.snapSizeBytes / 2));
  }

  /** The current txn threshold (for tests and logs). */
  get txnThreshold(): number {
    return Math.floor(this.snapCount / 2) + this.randomTxns;
  }
}
