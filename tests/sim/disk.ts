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
  }

  installSnapshot(zxid: bigint, state: AppliedTxn[], entries: LogEntry[]): void {
    this.snapshotZxid = zxid;
    this.snapshotState = state;
    this.durable = entries.slice();
    this.pending = [];
  }

  /** The application checkpointed its state: log entries it covers are no longer needed. */
  checkpoint(zxid: bigint, state: AppliedTxn[]): void {
    this.snapshotZxid = zxid;
    this.snapshotState = state;
    this.durable = this.durable.filter((e) => e.zxid > zxid);
  }

  /** Makes every queued append durable; returns the zxid now covered, or null if nothing was queued. */
  flush(): bigint | null {
    if (this.pending.length === 0) return null;
    this.durable.push(...this.pending);
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
