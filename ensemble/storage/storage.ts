/**
 * A node's durable state: the transaction log, snapshots and epoch files in ZooKeeper's directory
 * layout (`<dataDir>/version-2/snapshot.*`, `acceptedEpoch`, `currentEpoch`; `<dataLogDir>/version-2/log.*`).
 *
 * Lifecycle: `Storage.open` → `recover()` (exactly once, before appending) → `append` / `snapshot` /
 * `truncateAfter` / `purge` … → `close()`.
 */
import path from 'node:path';
import type { FileSystem } from './fs.ts';
import { fileSystemFromEnv } from './test-faults.ts';
import { VERSION_DIR, hexZxid } from './file-names.ts';
import type { LogRecord } from './log-format.ts';
import { firstLoggedZxid, logFileBytes, readHistory, readLogFrom, recoverLog, truncateLogAfter, type StorageLogger } from './log-reader.ts';
import { newStorageMetrics, type StorageMetrics } from './metrics.ts';
import { purgeOldFiles, type PurgePlan } from './purge.ts';
import { SnapshotStore, type Snapshot } from './snapshot-store.ts';
import { EpochFiles, type EpochKind } from './epoch-files.ts';
import { TxnLogWriter } from './txn-log-writer.ts';

export interface StorageOptions {
  dataDir: string;
  /** Where the transaction log goes; defaults to dataDir (ZooKeeper's dataLogDir). */
  dataLogDir?: string;
  fs?: FileSystem;
  /** Log file growth step in bytes (ZooKeeper's preAllocSize, 64 MiB). */
  preAllocSize?: number;
  /** false skips fdatasync: tests and benchmarks only. */
  forceSync?: boolean;
  /** Called once when a log write or sync fails; the node must stop. */
  onFatal?: (err: Error) => void;
  log?: StorageLogger;
}

export interface RecoveryResult {
  /** Newest valid snapshot, or null (replay from an empty state). */
  snapshot: Snapshot | null;
  /** Every logged txn after the snapshot's zxid, in zxid order. */
  txns: LogRecord[];
  /** Newest zxid known to this node: the last txn, or the snapshot's zxid. */
  lastZxid: bigint;
}

export class Storage {
  readonly snapDir: string;
  readonly logDir: string;
  readonly epochs: EpochFiles;
  private readonly fs: FileSystem;
  private readonly log: StorageLogger;
  private readonly snapshots: SnapshotStore;
  private readonly stats: StorageMetrics = newStorageMetrics();
  private writer: TxnLogWriter | null = null;
  private snapshotWrite: Promise<unknown> | null = null;

  private constructor(private readonly options: StorageOptions) {
    this.log = options.log ?? ((message) => console.warn(`[storage] ${message}`));
    this.fs = options.fs ?? fileSystemFromEnv(process.env, this.log);
    this.snapDir = path.join(options.dataDir, VERSION_DIR);
    this.logDir = path.join(options.dataLogDir ?? options.dataDir, VERSION_DIR);
    this.snapshots = new SnapshotStore(this.fs, this.snapDir, this.log);
    this.epochs = new EpochFiles(this.fs, this.snapDir);
  }

  static async open(options: StorageOptions): Promise<Storage> {
    const storage = new Storage(options);
    await storage.fs.mkdirp(storage.snapDir);
    await storage.fs.mkdirp(storage.logDir);
    return storage;
  }

  /**
   * Newest valid snapshot plus the log after it. Cuts a torn log tail (logged), throws
   * LogCorruptionError for damage with valid records after it. Must run once before `append`.
   */
  async recover(): Promise<RecoveryResult> {
    if (this.writer) throw new Error('recover() must run once, before any append');
    await this.snapshots.removeTempFiles();
    const snapshot = await this.snapshots.loadNewestValid();
    const snapshotZxid = snapshot?.zxid ?? 0n;
    const recovered = await recoverLog(this.fs, this.logDir, snapshotZxid, this.log);
    const lastZxid = recovered.lastZxid > snapshotZxid ? recovered.lastZxid : snapshotZxid;
    this.stats.logFileBytes = await logFileBytes(this.fs, this.logDir);
    this.stats.snapshotBytes = await this.snapshots.totalBytes();
    this.stats.lastSnapshotBytes = snapshot?.bytes ?? 0;
    this.writer = this.newWriter(lastZxid);
    return {
      snapshot: snapshot ? { zxid: snapshot.zxid, data: snapshot.data } : null,
      txns: recovered.records,
      lastZxid,
    };
  }

  /** Resolves when the txn is durable (group commit: concurrent appends share one fdatasync). */
  append(zxid: bigint, bytes: Buffer): Promise<void> {
    return this.requireWriter().append(zxid, bytes);
  }

  /** Resolves when every append so far is durable. */
  flush(): Promise<void> {
    return this.requireWriter().flush();
  }

  get lastDurableZxid(): bigint {
    return this.requireWriter().lastDurableZxid;
  }

  get snapshotInProgress(): boolean {
    return this.snapshotWrite !== null;
  }

  /**
   * Persists `data` (the state as of `zxid`, serialized synchronously by the caller) as snapshot.<zxid>,
   * and rolls the log so older log files can be purged later. Appends go on meanwhile. Returns false
   * without writing if a snapshot is still being written (ZooKeeper's "too busy to snap").
   */
  async snapshot(zxid: bigint, data: Buffer | readonly Buffer[]): Promise<boolean> {
    if (this.snapshotWrite) {
      this.log(`too busy to snap, skipping snapshot at ${hexZxid(zxid)}`);
      return false;
    }
    this.requireWriter().roll();
    const write = this.snapshots.write(zxid, data).then((bytes) => {
      this.stats.snapshotBytes += bytes;
      this.stats.lastSnapshotBytes = bytes;
    });
    this.snapshotWrite = write;
    try {
      await write;
    } finally {
      this.snapshotWrite = null;
    }
    return true;
  }

  /** Replication's TRUNC: forget every txn after `zxid` (and snapshots past it). */
  async truncateAfter(zxid: bigint): Promise<void> {
    const writer = this.requireWriter();
    await this.snapshotWrite?.catch(() => undefined);
    await writer.close();
    this.writer = null;
    await truncateLogAfter(this.fs, this.logDir, zxid, this.log);
    await this.snapshots.removeAfter(zxid);
    this.stats.logFileBytes = await logFileBytes(this.fs, this.logDir);
    this.stats.snapshotBytes = await this.snapshots.totalBytes();
    this.writer = this.newWriter(zxid);
  }

  /** Durable txns after `zxid`, oldest first, for a follower's DIFF. */
  readFrom(zxid: bigint): AsyncIterable<LogRecord> {
    return readLogFrom(this.fs, this.logDir, zxid, this.requireWriter().lastDurableZxid);
  }

  /** A learner's DIFF from the log: the durable txns after its last one up to `upToZxid`, or null (see readHistory). */
  async readHistory(afterZxid: bigint, upToZxid: bigint, maxTxns: number): Promise<LogRecord[] | null> {
    if (upToZxid > this.requireWriter().lastDurableZxid) return null;
    return readHistory(this.fs, this.logDir, afterZxid, upToZxid, maxTxns);
  }

  /** Oldest zxid still in the log (null when empty): a DIFF from before it is impossible, send SNAP. */
  firstLoggedZxid(): Promise<bigint | null> {
    return firstLoggedZxid(this.fs, this.logDir);
  }

  /** Autopurge: keep the newest `snapRetainCount` (min 3) snapshots and the logs they need. */
  async purge(snapRetainCount: number): Promise<PurgePlan> {
    const plan = await purgeOldFiles(this.fs, { snapDir: this.snapDir, logDir: this.logDir }, snapRetainCount, this.log);
    this.stats.logFileBytes = await logFileBytes(this.fs, this.logDir);
    this.stats.snapshotBytes = await this.snapshots.totalBytes();
    return plan;
  }

  readEpoch(kind: EpochKind): Promise<bigint | null> {
    return this.epochs.read(kind);
  }

  writeEpoch(kind: EpochKind, epoch: bigint): Promise<void> {
    return this.epochs.write(kind, epoch);
  }

  get metrics(): Readonly<StorageMetrics> {
    return this.stats;
  }

  async close(): Promise<void> {
    await this.snapshotWrite?.catch(() => undefined);
    const writer = this.writer;
    this.writer = null;
    await writer?.close();
  }

  private newWriter(lastZxid: bigint): TxnLogWriter {
    return new TxnLogWriter({
      fs: this.fs,
      dir: this.logDir,
      metrics: this.stats,
      lastZxid,
      preAllocSize: this.options.preAllocSize,
      forceSync: this.options.forceSync,
      onFatal: this.options.onFatal,
    });
  }

  private requireWriter(): TxnLogWriter {
    if (!this.writer) throw new Error('storage is not recovered (call recover() first) or is closed');
    return this.writer;
  }
}
