/**
 * Snapshots `version-2/snapshot.<hex zxid>`: an opaque serialized state as of the named zxid (the last
 * txn it includes). Written crash-safely (temp file, fsync, rename, directory fsync) so a snapshot file
 * either validates or is absent; a damaged one is skipped in favour of the previous one.
 *
 * Format: magic "ENSN" | u32 version | u64 zxid | u64 dataLength | u32 crc32 | data.
 * The CRC covers version, zxid, length and the data.
 */
import { crc32 } from 'node:zlib';
import { readWholeFile, type FileSystem } from './fs.ts';
import { SNAPSHOT_PREFIX, TEMP_SUFFIX, filesByZxid, hexZxid, zxidFileName, type ZxidFile } from './file-names.ts';
import type { StorageLogger } from './log-reader.ts';

export const SNAPSHOT_MAGIC = Buffer.from('ENSN', 'latin1');
export const SNAPSHOT_VERSION = 1;
export const SNAPSHOT_HEADER_SIZE = 28;
/** How much snapshot data is written between two fdatasyncs. */
const SYNC_STEP = 4 * 1024 * 1024;

export interface Snapshot {
  zxid: bigint;
  data: Buffer;
}

/** `data` may come in pieces (a snapshot written in slices): the header covers them as one. */
export function encodeSnapshotHeader(zxid: bigint, data: Buffer | readonly Buffer[]): Buffer {
  const pieces = Buffer.isBuffer(data) ? [data] : data;
  const header = Buffer.alloc(SNAPSHOT_HEADER_SIZE);
  SNAPSHOT_MAGIC.copy(header, 0);
  header.writeUInt32BE(SNAPSHOT_VERSION, 4);
  header.writeBigUInt64BE(zxid, 8);
  header.writeBigUInt64BE(BigInt(pieces.reduce((n, p) => n + p.length, 0)), 16);
  let crc = crc32(header.subarray(4, 24));
  for (const p of pieces) crc = crc32(p, crc);
  header.writeUInt32BE(crc, 24);
  return header;
}

/** The snapshot in `buf`, or a reason it is not valid. */
export function decodeSnapshot(buf: Buffer, expectedZxid: bigint): Snapshot | string {
  if (buf.length < SNAPSHOT_HEADER_SIZE) return `file too short (${buf.length} bytes)`;
  if (!buf.subarray(0, 4).equals(SNAPSHOT_MAGIC)) return 'bad magic';
  if (buf.readUInt32BE(4) !== SNAPSHOT_VERSION) return `unknown version ${buf.readUInt32BE(4)}`;
  const zxid = buf.readBigUInt64BE(8);
  if (zxid !== expectedZxid) return `header zxid ${hexZxid(zxid)} does not match the file name`;
  const length = buf.readBigUInt64BE(16);
  if (length !== BigInt(buf.length - SNAPSHOT_HEADER_SIZE)) return `length ${length} but ${buf.length - SNAPSHOT_HEADER_SIZE} data bytes`;
  const data = buf.subarray(SNAPSHOT_HEADER_SIZE);
  if (crc32(data, crc32(buf.subarray(4, 24))) !== buf.readUInt32BE(24)) return 'checksum mismatch';
  return { zxid, data };
}

export class SnapshotStore {
  constructor(
    private readonly fs: FileSystem,
    readonly dir: string,
    private readonly log: StorageLogger,
  ) {}

  async list(): Promise<ZxidFile[]> {
    return filesByZxid(await this.fs.list(this.dir), SNAPSHOT_PREFIX);
  }

  /** Writes snapshot.<zxid> durably; returns its size in bytes. */
  async write(zxid: bigint, data: Buffer | readonly Buffer[]): Promise<number> {
    const pieces = Buffer.isBuffer(data) ? [data] : data;
    const name = zxidFileName(SNAPSHOT_PREFIX, zxid);
    const finalPath = `${this.dir}/${name}`;
    const tempPath = `${finalPath}${TEMP_SUFFIX}`;
    const header = encodeSnapshotHeader(zxid, data);
    const total = pieces.reduce((n, p) => n + p.length, 0);
    await this.fs.remove(tempPath);
    const file = await this.fs.open(tempPath, 'createNew');
    try {
      await file.write(header, 0);
      let at = header.length;
      let unsynced = 0;
      for (const p of pieces) {
        for (let from = 0; from < p.length; ) {
          const chunk = p.subarray(from, Math.min(p.length, from + SYNC_STEP - unsynced));
          from += chunk.length;
          await file.write(chunk, at);
          at += chunk.length;
          unsynced += chunk.length;
          // Flushed a step at a time: one fsync of the whole file made the txn log's fdatasync (same disk, same
          // journal) wait ~55 ms behind 32 MB of snapshot; 4 MiB at a time keeps that wait near a plain append's.
          if (unsynced >= SYNC_STEP && at < header.length + total) {
            await file.datasync();
            unsynced = 0;
          }
        }
      }
      await file.sync();
    } catch (err) {
      await file.close().catch(() => undefined);
      await this.fs.remove(tempPath).catch(() => undefined);
      throw err;
    }
    await file.close();
    await this.fs.rename(tempPath, finalPath);
    await this.fs.syncDir(this.dir);
    return header.length + total;
  }

  /** Newest snapshot that validates; damaged ones are logged and skipped. */
  async loadNewestValid(): Promise<(Snapshot & { bytes: number }) | null> {
    const snapshots = await this.list();
    for (const { name, zxid } of snapshots.reverse()) {
      const path = `${this.dir}/${name}`;
      const buf = await readWholeFile(this.fs, path);
      const decoded = decodeSnapshot(buf, zxid);
      if (typeof decoded !== 'string') return { ...decoded, bytes: buf.length };
      this.log(`skipping invalid snapshot ${path}: ${decoded}; falling back to an older one`);
    }
    return null;
  }

  /** Leftovers of snapshot writes interrupted by a crash. */
  async removeTempFiles(): Promise<void> {
    for (const name of await this.fs.list(this.dir)) {
      if (name.startsWith(`${SNAPSHOT_PREFIX}.`) && name.endsWith(TEMP_SUFFIX)) await this.fs.remove(`${this.dir}/${name}`);
    }
  }

  /** Removes snapshots newer than `zxid` (after TRUNC they would bring back truncated txns). */
  async removeAfter(zxid: bigint): Promise<void> {
    let removed = false;
    for (const snapshot of await this.list()) {
      if (snapshot.zxid <= zxid) continue;
      this.log(`TRUNC to ${hexZxid(zxid)}: removing ${this.dir}/${snapshot.name}`);
      await this.fs.remove(`${this.dir}/${snapshot.name}`);
      removed = true;
    }
    if (removed) await this.fs.syncDir(this.dir);
  }

  async totalBytes(): Promise<number> {
    let total = 0;
    for (const { name } of await this.list()) total += (await this.fs.sizeOf(`${this.dir}/${name}`)) ?? 0;
    return total;
  }
}
