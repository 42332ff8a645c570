/**
 * Appends records to the transaction log with group commit: every record queued while the previous
 * batch was being synced goes out in ONE write and ONE fdatasync, and each caller's promise resolves only
 * once its record is durable. At most one sync is in flight. Any I/O failure is fatal and never retried:
 * after a failed fsync the kernel may have dropped the dirty pages, so a retry could "succeed" over lost data.
 */
import type { FileSystem, StorageFile } from './fs.ts';
import { LOG_PREFIX, hexZxid, zxidFileName } from './file-names.ts';
import { LOG_HEADER_SIZE, encodeLogHeader, encodeRecordInto, recordSize } from './log-format.ts';
import type { StorageMetrics } from './metrics.ts';

export const DEFAULT_PREALLOC_SIZE = 64 * 1024 * 1024;
/**
 * Zero fill (allocation) runs this far ahead of the records; readLogFile relies on it to skip the rest of the hole.
 * Zero-filling a whole 64 MB step at once (and the fdatasync that then flushes it) stalled every write for ~160 ms
 * at each log roll; 1 MiB costs ~2.5 ms once per ~6,000 txns.
 */
export const ZERO_FILL_STEP = 1024 * 1024;
const ZERO_CHUNK = Buffer.alloc(ZERO_FILL_STEP);

export interface TxnLogWriterOptions {
  fs: FileSystem;
  /** The `version-2` directory of dataLogDir. */
  dir: string;
  metrics: StorageMetrics;
  /** Newest zxid already in the log; appends must be above it. */
  lastZxid: bigint;
  /** ZooKeeper's preAllocSize: the file grows in steps of this many bytes (sparse, then zero-filled ahead of the records). */
  preAllocSize?: number;
  /** false skips fdatasync (tests and benchmarks only: nothing is durable). */
  forceSync?: boolean;
  onFatal?: (err: Error) => void;
  now?: () => number;
}

interface PendingAppend {
  zxid: bigint;
  bytes: Buffer;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface OpenLogFile {
  file: StorageFile;
  name: string;
  /** Where the next record goes. */
  writeOffset: number;
  /** File size: grown in preAllocSize steps, sparse beyond `zeroed`. */
  allocated: number;
  /** Written with zeros (or records) up to here: appends below it allocate no blocks and change no metadata. */
  zeroed: number;
}

export class FatalStorageError extends Error {
  constructor(message: string, override readonly cause: unknown) {
    super(message);
    this.name = 'FatalStorageError';
  }
}

export class TxnLogWriter {
  private readonly fs: FileSystem;
  private readonly dir: string;
  private readonly metrics: StorageMetrics;
  private readonly preAllocSize: number;
  private readonly forceSync: boolean;
  private readonly onFatal: ((err: Error) => void) | undefined;
  private readonly now: () => number;

  private pending: PendingAppend[] = [];
  private flushLoop: Promise<void> | null = null;
  private flushScheduled = false;
  private current: OpenLogFile | null = null;
  private rollRequested = false;
  private fatalError: Error | null = null;
  private closed = false;
  private lastAppended: bigint;
  private lastDurable: bigint;

  constructor(options: TxnLogWriterOptions) {
    this.fs = options.fs;
    this.dir = options.dir;
    this.metrics = options.metrics;
    this.preAllocSize = options.preAllocSize ?? DEFAULT_PREALLOC_SIZE;
    this.forceSync = options.forceSync ?? true;
    this.onFatal = options.onFatal;
    this.now = options.now ?? (() => performance.now());
    this.lastAppended = options.lastZxid;
    this.lastDurable = options.lastZxid;
    if (this.preAllocSize <= 0) throw new RangeError('preAllocSize must be positive');
  }

  /** Newest zxid whose record is synced (or written, with forceSync off). */
  get lastDurableZxid(): bigint {
    return this.lastDurable;
  }

  get lastAppendedZxid(): bigint {
    return this.lastAppended;
  }

  get fatal(): Error | null {
    return this.fatalError;
  }

  /** Resolves once the record is durable; rejects if the log failed. zxids must increase. */
  append(zxid: bigint, bytes: Buffer): Promise<void> {
    if (this.fatalError) return Promise.reject(this.fatalError);
    if (this.closed) return Promise.reject(new Error('transaction log is closed'));
    if (zxid <= this.lastAppended) {
      return Promise.reject(new RangeError(`zxid ${hexZxid(zxid)} is not after ${hexZxid(this.lastAppended)}`));
    }
    this.lastAppended = zxid;
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ zxid, bytes, resolve, reject });
      this.scheduleFlush();
    });
  }

  /** The next batch starts a new log file (ZooKeeper rolls the log when it starts a snapshot). */
  roll(): void {
    this.rollRequested = true;
  }

  /** Resolves when everything appended so far is durable. */
  async flush(): Promise<void> {
    while (this.flushLoop || this.flushScheduled || this.pending.length > 0) {
      if (this.fatalError) throw this.fatalError;
      if (!this.flushLoop && !this.flushScheduled) this.scheduleFlush();
      await (this.flushLoop ?? new Promise<void>((resolve) => setImmediate(resolve)));
    }
    if (this.fatalError) throw this.fatalError;
  }

  /** Flushes, then closes the open file. Later appends are refused. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.closed = true;
      const current = this.current;
      this.current = null;
      if (current) await current.file.close().catch(() => undefined);
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.flushLoop) return;
    this.flushScheduled = true;
    // One macrotask of delay lets every appender woken by the previous batch queue its next record.
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.flushLoop || this.pending.length === 0) return;
      this.flushLoop = this.runFlushLoop().finally(() => {
        this.flushLoop = null;
        if (this.pending.length > 0 && !this.fatalError) this.scheduleFlush();
      });
    });
  }

  private async runFlushLoop(): Promise<void> {
    while (this.pending.length > 0 && !this.fatalError) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.writeBatch(batch);
      } catch (err) {
        this.fail(err, batch);
        return;
      }
      const last = batch[batch.length - 1];
      if (last) this.lastDurable = last.zxid;
      for (const entry of batch) entry.resolve();
      // Give woken appenders a turn so their records join the next batch instead of trickling in one by one.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private async writeBatch(batch: PendingAppend[]): Promise<void> {
    const first = batch[0];
    if (!first) return;
    let createdFile = false;
    if (this.rollRequested || !this.current) {
      await this.closeCurrent();
      this.rollRequested = false;
      this.current = await this.createFile(first.zxid);
      createdFile = true;
    }
    const current = this.current;
    if (!current) throw new Error('no open log file');

    const headerBytes = createdFile ? LOG_HEADER_SIZE : 0;
    let size = headerBytes;
    for (const entry of batch) size += recordSize(entry.bytes.length);
    const buf = Buffer.allocUnsafe(size);
    if (createdFile) encodeLogHeader().copy(buf, 0);
    let offset = headerBytes;
    for (const entry of batch) offset = encodeRecordInto(buf, offset, entry.zxid, entry.bytes);

    const writeAt = createdFile ? 0 : current.writeOffset;
    await this.preallocate(current, writeAt + size);
    await current.file.write(buf, writeAt);
    if (this.forceSync) {
      const started = this.now();
      await current.file.datasync();
      this.metrics.fsyncTime.observe(this.now() - started);
      this.metrics.fsyncCount++;
      // The new file's directory entry must be durable too, or a crash could lose a synced file.
      if (createdFile) await this.fs.syncDir(this.dir);
    }
    current.writeOffset = writeAt + size;
    this.metrics.bytesAppended += size - headerBytes;
    this.metrics.txnsWritten += batch.length;
    this.metrics.batchesWritten++;
  }

  private async createFile(firstZxid: bigint): Promise<OpenLogFile> {
    const name = zxidFileName(LOG_PREFIX, firstZxid);
    const file = await this.fs.open(`${this.dir}/${name}`, 'createNew');
    return { file, name, writeOffset: 0, allocated: 0, zeroed: 0 };
  }

  /**
   * Grows the file in preAllocSize steps without writing (as ZooKeeper's FilePadding), then zero-fills a little
   * ahead of the records, so most appends overwrite allocated blocks and their fdatasync changes no metadata.
   */
  private async preallocate(current: OpenLogFile, neededEnd: number): Promise<void> {
    if (neededEnd > current.allocated) {
      const target = Math.ceil(neededEnd / this.preAllocSize) * this.preAllocSize;
      await current.file.truncate(target);
      this.metrics.logFileBytes += target - current.allocated;
      current.allocated = target;
    }
    if (neededEnd <= current.zeroed) return;
    const step = Math.min(ZERO_FILL_STEP, this.preAllocSize);
    const fillTo = Math.min(current.allocated, Math.ceil(neededEnd / step) * step);
    for (let at = current.zeroed; at < fillTo; at += ZERO_CHUNK.length) {
      await current.file.write(ZERO_CHUNK.subarray(0, Math.min(ZERO_CHUNK.length, fillTo - at)), at);
    }
    current.zeroed = fillTo;
  }

  private async closeCurrent(): Promise<void> {
    const current = this.current;
    this.current = null;
    if (current) await current.file.close();
  }

  private fail(cause: unknown, batch: PendingAppend[]): void {
    const message = cause instanceof Error ? cause.message : String(cause);
    const diskFull = (cause as NodeJS.ErrnoException | null)?.code === 'ENOSPC' ? ' (disk full: free space, then restart; the log recovers)' : '';
    const error = new FatalStorageError(`transaction log write failed${diskFull}, storage is unusable: ${message}`, cause);
    this.fatalError = error;
    const waiting = [...batch, ...this.pending];
    this.pending = [];
    for (const entry of waiting) entry.reject(error);
    this.onFatal?.(error);
  }
}
