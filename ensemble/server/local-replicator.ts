/**
 * The standalone Replicator: this node orders every write itself. A submitted write is stamped with the next zxid
 * and the leader clock, encoded ONCE, appended to the transaction log, and committed (handed to the pipeline) only
 * after its record is durable. Storage's group commit makes many txns share one fdatasync, with at most one in
 * flight; commits are delivered strictly in zxid order.
 *
 * After a txn is committed and applied, a snapshot may be due (every ~snapCount txns, randomised as ZooKeeper does).
 * It is taken as of that txn boundary and written a slice at a time while later txns apply (copy-on-write in the
 * tree, see SnapshotInProgress). ZooKeeper writes "fuzzy" snapshots and relies on replaying idempotent txns over them;
 * our txns are NOT idempotent (a replayed create would fail, a replayed setData would bump the version twice), so a
 * fuzzy snapshot would be unsafe.
 */
import type { SnapshotInProgress } from '../tree/snapshot-in-progress.ts';
import { finishInSlices } from './snapshot-slices.ts';
import { encodeTxn } from '../jute/txn.ts';
import type { Storage } from '../storage/index.ts';
import { SnapshotTrigger } from '../storage/index.ts';
import type { Txn } from '../tree/api.ts';
import type { CommitHandler, Replicator, ReplicatorState, WriteRequest } from './replicator.ts';

export interface LocalReplicatorOptions {
  /** Durable log; null keeps everything in memory (a write commits on the next microtask). */
  storage: Storage | null;
  /** Newest zxid already applied (recovered); the next write gets lastZxid + 1. */
  lastZxid: bigint;
  /** zxid epoch (upper 32 bits); standalone ZooKeeper uses 0. */
  epoch?: number;
  snapshots?: {
    trigger: SnapshotTrigger;
    /** The state as of the txn just applied, to be written in slices. */
    begin: () => SnapshotInProgress;
  };
  /** A log write or fdatasync failed: the node must stop (never retry a failed sync). */
  onFatal?: (err: Error) => void;
  now?: () => number;
  log?: (msg: string) => void;
}

interface InFlight {
  txn: Txn;
  bytes: number;
  durable: boolean;
}

export class LocalReplicator implements Replicator {
  private current: ReplicatorState = 'serving';
  private nextZxid: bigint;
  private readonly inFlight: InFlight[] = [];
  private commitHandler: CommitHandler | null = null;
  private readonly stateHandlers: ((state: ReplicatorState) => void)[] = [];
  private readonly now: () => number;
  private readonly log: (msg: string) => void;
  private fatal: Error | null = null;
  private closed = false;
  private drained: (() => void) | null = null;
  private snapshotWrite: Promise<unknown> = Promise.resolve();
  private snapshotting = false;
  /** Txns committed since start (for metrics). */
  committedCount = 0;

  constructor(private readonly opts: LocalReplicatorOptions) {
    const epoch = BigInt(opts.epoch ?? 0) << 32n;
    this.nextZxid = opts.lastZxid >= epoch ? opts.lastZxid + 1n : epoch + 1n;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? (() => {});
  }

  get state(): ReplicatorState {
    return this.current;
  }

  onCommit(handler: CommitHandler): void {
    this.commitHandler = handler;
  }

  onStateChange(handler: (state: ReplicatorState) => void): void {
    this.stateHandlers.push(handler);
  }

  submit(req: WriteRequest): boolean {
    if (this.current !== 'serving' || this.closed) return false;
    const txn: Txn = { hdr: { sessionId: req.sessionId, cxid: req.cxid, zxid: this.nextZxid++, time: BigInt(this.now()) }, auth: req.auth, op: req.op };
    const entry: InFlight = { txn, bytes: 0, durable: false };
    this.inFlight.push(entry);
    const storage = this.opts.storage;
    if (!storage) {
      queueMicrotask(() => this.markDurable(entry));
      return true;
    }
    const bytes = encodeTxn(txn);
    entry.bytes = bytes.length;
    storage.append(txn.hdr.zxid, bytes).then(
      () => this.markDurable(entry),
      (e: Error) => this.failed(e),
    );
    return true;
  }

  private markDurable(entry: InFlight): void {
    entry.durable = true;
    // Batches resolve in order, but the commit order must not depend on that.
    while (this.inFlight[0]?.durable && !this.fatal) {
      const next = this.inFlight.shift()!;
      this.commit(next);
    }
    if (this.inFlight.length === 0) this.drained?.();
  }

  private commit(entry: InFlight): void {
    this.committedCount++;
    this.commitHandler?.(entry.txn);
    const snap = this.opts.snapshots;
    if (!snap || !this.opts.storage || !snap.trigger.recordTxn(entry.bytes)) return;
    snap.trigger.reset();
    if (this.snapshotting) return;
    this.snapshotting = true;
    this.snapshotWrite = this.takeSnapshot(snap.begin()).finally(() => {
      this.snapshotting = false;
    });
  }

  private async takeSnapshot(snapshot: SnapshotInProgress): Promise<void> {
    const storage = this.opts.storage!;
    const zxid = snapshot.zxid;
    try {
      const data = await finishInSlices(snapshot, () => !this.closed);
      if (data === null) return;
      this.log(`Creating new snapshot at zxid 0x${zxid.toString(16)} (${data.reduce((n, p) => n + p.length, 0)} bytes)`);
      await storage.snapshot(zxid, data);
    } catch (e) {
      // A failed snapshot loses nothing (the log still has every txn); ZooKeeper logs and goes on too.
      this.log(`snapshot at 0x${zxid.toString(16)} failed: ${(e as Error).message}`);
    }
  }

  private failed(e: Error): void {
    if (this.fatal) return;
    this.fatal = e;
    this.setState('unavailable');
    this.drained?.();
    this.opts.onFatal?.(e);
  }

  private setState(state: ReplicatorState): void {
    if (this.current === state) return;
    this.current = state;
    for (const h of this.stateHandlers) h(state);
  }

  /** Standalone: everything committed is applied the moment it commits. */
  sync(): Promise<void> {
    return Promise.resolve();
  }

  /** Waits for writes in flight to commit (or fail) and for a snapshot being written. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.inFlight.length > 0 && !this.fatal) {
      await new Promise<void>((resolve) => {
        this.drained = resolve;
        // A fatal error leaves entries that will never drain.
        if (this.fatal) resolve();
      });
    }
    await this.snapshotWrite;
  }
}
