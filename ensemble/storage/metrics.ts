/** Plain counters the server's `mntr` and Prometheus endpoint read. */

/** Upper bounds (ms) of the fsync-time buckets; the last bucket is everything above. */
export const FSYNC_BUCKETS_MS = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000] as const;

export class DurationHistogram {
  /** counts[i] = observations <= FSYNC_BUCKETS_MS[i] (not cumulative); the extra last slot is +Inf. */
  readonly counts: number[] = new Array<number>(FSYNC_BUCKETS_MS.length + 1).fill(0);
  count = 0;
  sumMs = 0;
  minMs = Infinity;
  maxMs = 0;

  observe(ms: number): void {
    let bucket = FSYNC_BUCKETS_MS.findIndex((bound) => ms <= bound);
    if (bucket < 0) bucket = FSYNC_BUCKETS_MS.length;
    this.counts[bucket] = (this.counts[bucket] ?? 0) + 1;
    this.count++;
    this.sumMs += ms;
    this.minMs = Math.min(this.minMs, ms);
    this.maxMs = Math.max(this.maxMs, ms);
  }

  get averageMs(): number {
    return this.count === 0 ? 0 : this.sumMs / this.count;
  }
}

export interface StorageMetrics {
  fsyncCount: number;
  fsyncTime: DurationHistogram;
  /** Records appended and made durable since start. */
  txnsWritten: number;
  /** Group-commit batches (one write + one fdatasync each). */
  batchesWritten: number;
  /** Record bytes appended (and made durable) since start. */
  bytesAppended: number;
  /** Sum of log file sizes on disk, zero-filled preallocation included (ZooKeeper's log_dir_size). */
  logFileBytes: number;
  /** Sum of snapshot file sizes on disk. */
  snapshotBytes: number;
  /** Size of the newest snapshot written or loaded. */
  lastSnapshotBytes: number;
}

export function newStorageMetrics(): StorageMetrics {
  return {
    fsyncCount: 0,
    fsyncTime: new DurationHistogram(),
    txnsWritten: 0,
    batchesWritten: 0,
    bytesAppended: 0,
    logFileBytes: 0,
    snapshotBytes: 0,
    lastSnapshotBytes: 0,
  };
}
