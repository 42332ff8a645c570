/**
 * Reading the transaction log back: recovery (validate, cut a torn tail, refuse damage in the middle),
 * truncation for replication's TRUNC, and reading records after a zxid for a follower's DIFF.
 */
import type { FileSystem } from './fs.ts';
import { ZERO_FILL_STEP } from './txn-log-writer.ts';
import { LOG_PREFIX, filesByZxid, hexZxid, logFilesAfter, type ZxidFile } from './file-names.ts';
import {
  LOG_HEADER_SIZE,
  RECORD_HEADER_SIZE,
  findValidRecordAfter,
  recordSize,
  recordsEnd,
  scanLog,
  type LogRecord,
  type LogScan,
} from './log-format.ts';

export type StorageLogger = (message: string) => void;

/** Damage before acknowledged records: starting would silently lose committed txns, so we refuse. */
export class LogCorruptionError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
    detail: string,
  ) {
    super(`transaction log ${file} is corrupt at offset ${offset}: ${reason}; ${detail}`);
    this.name = 'LogCorruptionError';
  }
}

export async function listLogFiles(fs: FileSystem, dir: string): Promise<ZxidFile[]> {
  return filesByZxid(await fs.list(dir), LOG_PREFIX);
}

/** Room for what a file system counts besides data (ext4 counts extent-tree blocks in st_blocks). */
const ALLOCATION_SLACK = 64 * 1024;

/**
 * A log file's bytes, as far as an acknowledged record can lie. The writer grows a file by ftruncate (a hole) and
 * zero-fills only ZERO_FILL_STEP ahead of its records, so most of a preallocated file is a hole, and the kernel
 * zero-fills every read of it (about 180 ms per 64 MB here, for each file that recovery or a DIFF reads).
 * An acknowledged record was fdatasync'ed with every byte before it, so all blocks before its end are allocated, and
 * it ends within the first `allocated` bytes: reading those (scanLog then checks that all after the records is
 * zeros) is enough. That holds only when the file is laid out as the writer lays it out: records, then at most
 * ZERO_FILL_STEP of zero fill. Otherwise (blocks allocated further on, a file system that compresses or drops zero
 * blocks, a wrapper that cannot count blocks) the whole file is read, as before.
 */
export async function readLogFile(fs: FileSystem, path: string): Promise<Buffer> {
  const file = await fs.open(path, 'read');
  try {
    const size = await file.size();
    const allocated = (await file.allocation?.())?.bytes ?? size;
    if (allocated + ALLOCATION_SLACK < size) {
      const prefix = await file.read(allocated + ALLOCATION_SLACK, 0);
      const end = recordsEnd(prefix);
      if (end !== null && end <= allocated && allocated <= end + ZERO_FILL_STEP + ALLOCATION_SLACK) return prefix;
    }
    return await file.read(size, 0);
  } finally {
    await file.close();
  }
}

interface ScannedFile {
  name: string;
  path: string;
  buf: Buffer;
  scan: LogScan;
}

async function scanFiles(fs: FileSystem, dir: string, files: readonly ZxidFile[]): Promise<ScannedFile[]> {
  const scanned: ScannedFile[] = [];
  let previousZxid = 0n;
  for (const { name } of files) {
    const path = `${dir}/${name}`;
    const buf = await readLogFile(fs, path);
    const scan = scanLog(buf, previousZxid);
    const last = scan.records[scan.records.length - 1];
    if (last) previousZxid = last.zxid;
    scanned.push({ name, path, buf, scan });
  }
  return scanned;
}

export interface RecoveredLog {
  /** Records with zxid > the requested zxid, in order. */
  records: LogRecord[];
  /** Newest zxid in the log (0n when empty), including records at or before the requested zxid. */
  lastZxid: bigint;
}

/**
 * Reads every record after `afterZxid`. A damaged tail with nothing valid after it is cut off (those
 * records were never acknowledged); damage followed by valid records throws LogCorruptionError.
 * Trailing files left with no records are removed so the writer can reuse their names.
 */
export async function recoverLog(fs: FileSystem, dir: string, afterZxid: bigint, log: StorageLogger): Promise<RecoveredLog> {
  const files = await scanFiles(fs, dir, logFilesAfter(await listLogFiles(fs, dir), afterZxid));
  let changedDir = false;
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    if (!file || file.scan.stop.kind !== 'damaged') continue;
    const { offset, reason } = file.scan.stop;
    const lastGood = file.scan.records[file.scan.records.length - 1]?.zxid ?? lastZxidBefore(files, i);
    const followingOffset = findValidRecordAfter(file.buf, offset, lastGood);
    if (followingOffset !== null) {
      throw new LogCorruptionError(file.path, offset, reason, `a valid record follows at offset ${followingOffset}`);
    }
    const laterWithRecords = files.slice(i + 1).find((later) => later.scan.records.length > 0);
    if (laterWithRecords) {
      throw new LogCorruptionError(file.path, offset, reason, `valid records follow in ${laterWithRecords.path}`);
    }
    log(`truncating torn tail of ${file.path} at offset ${offset} (${reason}); ${file.buf.length - offset} bytes dropped`);
    await cutFile(fs, file.path, file.scan.validEnd);
    file.scan = { ...file.scan, stop: { kind: 'end' } };
  }
  // A file with no records at the end is a crash right after creating it (or its header was torn).
  while (files.length > 0 && files[files.length - 1]?.scan.records.length === 0) {
    const empty = files.pop();
    if (!empty) break;
    log(`removing transaction log ${empty.path}: it holds no records`);
    await fs.remove(empty.path);
    changedDir = true;
  }
  if (changedDir) await fs.syncDir(dir);

  const records: LogRecord[] = [];
  let lastZxid = 0n;
  for (const file of files) {
    for (const record of file.scan.records) {
      if (record.zxid > afterZxid) records.push({ zxid: record.zxid, bytes: record.bytes });
      lastZxid = record.zxid;
    }
  }
  return { records, lastZxid };
}

function lastZxidBefore(files: readonly ScannedFile[], index: number): bigint {
  for (let i = index - 1; i >= 0; i--) {
    const records = files[i]?.scan.records ?? [];
    const last = records[records.length - 1];
    if (last) return last.zxid;
  }
  return 0n;
}

async function cutFile(fs: FileSystem, path: string, length: number): Promise<void> {
  const handle = await fs.open(path, 'readWrite');
  try {
    await handle.truncate(length);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Drops every record with zxid > `zxid` (replication's TRUNC). The caller must have closed the writer. */
export async function truncateLogAfter(fs: FileSystem, dir: string, zxid: bigint, log: StorageLogger): Promise<void> {
  const all = await listLogFiles(fs, dir);
  for (const file of all.filter((f) => f.zxid > zxid).reverse()) {
    log(`TRUNC to ${hexZxid(zxid)}: removing ${dir}/${file.name}`);
    await fs.remove(`${dir}/${file.name}`);
  }
  const newest = all.filter((f) => f.zxid <= zxid).pop();
  if (newest) {
    const path = `${dir}/${newest.name}`;
    const buf = await readLogFile(fs, path);
    const scan = scanLog(buf);
    const cutAt = scan.records.find((r) => r.zxid > zxid)?.offset ?? scan.validEnd;
    if (cutAt < buf.length) {
      log(`TRUNC to ${hexZxid(zxid)}: cutting ${path} at offset ${cutAt}`);
      await cutFile(fs, path, cutAt);
    }
  }
  await fs.syncDir(dir);
}

/**
 * Records with `afterZxid` < zxid <= `upToZxid`, oldest first, for a follower's DIFF. Whether the log
 * still reaches back to `afterZxid` is the caller's question (see `firstLoggedZxid`).
 */
export async function* readLogFrom(
  fs: FileSystem,
  dir: string,
  afterZxid: bigint,
  upToZxid: bigint,
): AsyncGenerator<LogRecord> {
  const files = logFilesAfter(await listLogFiles(fs, dir), afterZxid).filter((f) => f.zxid <= upToZxid);
  let previousZxid = 0n;
  for (const { name } of files) {
    const path = `${dir}/${name}`;
    const scan = scanLog(await readLogFile(fs, path), previousZxid);
    for (const record of scan.records) {
      if (record.zxid > upToZxid) return;
      previousZxid = record.zxid;
      if (record.zxid > afterZxid) yield { zxid: record.zxid, bytes: record.bytes };
    }
    // Damage past `upToZxid` may be a batch still being written; before it, durable records are missing.
    if (scan.stop.kind === 'damaged' && previousZxid < upToZxid) {
      throw new LogCorruptionError(path, scan.stop.offset, scan.stop.reason, 'while reading for follower sync');
    }
  }
}

/**
 * The records with `afterZxid` < zxid <= `upToZxid`, for a learner's DIFF, or null unless the log still holds the
 * record at `afterZxid` itself (the learner's last txn: nothing between it and the rest was purged), reaches
 * `upToZxid`, and holds at most `maxRecords` of them. Whether the records belong to the current history is the
 * caller's question: a SNAP install leaves an abandoned history's records before its snapshot.
 */
export async function readHistory(
  fs: FileSystem,
  dir: string,
  afterZxid: bigint,
  upToZxid: bigint,
  maxRecords: number,
): Promise<LogRecord[] | null> {
  const records: LogRecord[] = [];
  let holdsStart = false;
  for await (const record of readLogFrom(fs, dir, afterZxid - 1n, upToZxid)) {
    if (!holdsStart) {
      if (record.zxid !== afterZxid) return null;
      holdsStart = true;
    } else if (records.length === maxRecords) {
      return null;
    } else {
      records.push(record);
    }
  }
  return holdsStart && records[records.length - 1]?.zxid === upToZxid ? records : null;
}

/** Oldest zxid still in the log, or null when the log is empty. Reads only the first record of each file. */
export async function firstLoggedZxid(fs: FileSystem, dir: string): Promise<bigint | null> {
  for (const { name } of await listLogFiles(fs, dir)) {
    const file = await fs.open(`${dir}/${name}`, 'read');
    try {
      const head = await file.read(LOG_HEADER_SIZE + RECORD_HEADER_SIZE, 0);
      if (head.length < LOG_HEADER_SIZE + RECORD_HEADER_SIZE) continue;
      const firstRecord = recordSize(head.readUInt32BE(LOG_HEADER_SIZE));
      const first = scanLog(await file.read(LOG_HEADER_SIZE + firstRecord, 0)).records[0];
      if (first) return first.zxid;
    } finally {
      await file.close();
    }
  }
  return null;
}

/** Sum of log file sizes on disk (for the log-size metric). */
export async function logFileBytes(fs: FileSystem, dir: string): Promise<number> {
  let total = 0;
  for (const { name } of await listLogFiles(fs, dir)) total += (await fs.sizeOf(`${dir}/${name}`)) ?? 0;
  return total;
}
