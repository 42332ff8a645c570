/**
 * A simulated disk: epochs, snapshot and truncation are written synchronously (the node's contract),
 * appends sit in a write-back queue until a flush; a crash loses whatever was not flushed.
 */
import type { DurableState, LogEntry } from '../../ensemble/zab/index.ts';

export interface AppliedTxn {
  zxid: bigint;
  payload: string;
}

export class SimDisk {
  acceptedEpoch = 0n;
  currentEpoch = 0n;
  snapshotZxid = 0n;
  snapshotState: AppliedTxn[] = [];
  private durable: LogEntry[] = [];
  private pending: LogEntry[] = [];
  /**
   * The log files as a real disk keeps them: durable entries, including those a checkpoint made unnecessary for
   * recovery (until purged); at or below historyFloor they may belong to an abandoned history.
   */
  private files: LogEntry[] = [];
  private historyFloor = 0n;

  /** Last zxid of the log as the node sees it (durable + queued). */
  lastZxid(): bigint {
    const p = this.pending[this.pending.length - 1] ?? this.durable[this.durable.length - 1];
    return p ? p.zxid : this.snapshotZxid;
  }

  hasPending(): boolean {
    return this.pending.length > 0;
  }

  append(entry: LogEntry): void {
    this.pending.push(entry);
  }

  truncate(afterZxid: bigint): void {
    this.durable = this.durable.filter((e) => e.zxid <= afterZxid);
    this.pending = this.pending.filter((e) => e.zxid <= afterZxid);
    this.files = this.files.filter((e) => e.zxid <= afterZxid);
  }

  installSnapshot(zxid: bigint, state: AppliedTxn[], entries: LogEntry[]): void {
    this.snapshotZxid = zxid;
    this.snapshotState = state;
    this.durable = entries.slice();
    this.pending = [];
    // The real storage keeps the old log before the snapshot: stale records stay, below the floor.
    this.files = [...this.files.filter((e) => e.zxid <= zxid), ...entries];
    this.historyFloor = zxid;
  }

  /** The application checkpointed its state: log entries it covers are no longer needed for recovery. */
  checkpoint(zxid: bigint, state: AppliedTxn[]): void {
    // Purge keeps the log the previous snapshot needs, as snapRetainCount does.
    const previous = this.snapshotZxid;
    this.files = this.files.filter((e) => e.zxid > previous);
    this.snapshotZxid = zxid;
    this.snapshotState = state;
    this.durable = this.durable.filter((e) => e.zxid > zxid);
  }

  /** After a restart nothing says whether the snapshot recovered from was a SNAP install: trust only what follows it. */
  restarted(): void {
    this.historyFloor = this.snapshotZxid;
  }

  /** The runtime's answer to a historyRequest (ZabReplicator.supplyHistory over Storage.readHistory). */
  readHistory(afterZxid: bigint, upToZxid: bigint, maxTxns: number): LogEntry[] | null {
    if (afterZxid < this.historyFloor) return null;
    const start = this.files.findIndex((e) => e.zxid === afterZxid);
    if (start < 0) return null;
    const out = this.files.slice(start + 1).filter((e) => e.zxid <= upToZxid);
    if (out.length > maxTxns || out[out.length - 1]?.zxid !== upToZxid) return null;
    return out;
  }

  /** Makes every queued append durable; returns the zxid now covered, or null if nothing was queued. */
  flush(): bigint | null {
    if (this.pending.length === 0) return null;
    this.durable.push(...this.pending);
    this.files.push(...this.pending);
    this.pending = [];
    return this.durable[this.durable.length - 1]!.zxid;
  }

  crash(): void {
    this.pending = [];
  }

  durableState(): DurableState {
    return {
      acceptedEpoch: this.acceptedEpoch,
      currentEpoch: this.currentEpoch,
      snapshotZxid: this.snapshotZxid,
      log: this.durable.filter((e) => e.zxid > this.snapshotZxid),
    };
  }
}
