/**
 * Our transaction-log file format (ZooKeeper's file names, our own bytes).
 *
 * File:   header = magic "ENTL" | u32 version | u64 reserved (16 bytes), then records, then zero fill.
 * Record: u32 payloadLength | u32 crc32 | u64 zxid | payload.
 * The CRC covers the length, the zxid and the payload, so a damaged length or zxid is caught too.
 * An all-zero record header marks the end of the written part (preallocation is zero filled),
 * which is why a record's zxid must be non-zero.
 */
import { crc32 } from 'node:zlib';

export const LOG_MAGIC = Buffer.from('ENTL', 'latin1');
export const LOG_VERSION = 1;
export const LOG_HEADER_SIZE = 16;
export const RECORD_HEADER_SIZE = 16;
/** Far above jute.maxbuffer; anything larger is a damaged length field, not a real txn. */
export const MAX_RECORD_PAYLOAD = 256 * 1024 * 1024;

export interface LogRecord {
  zxid: bigint;
  bytes: Buffer;
}

export interface ScannedRecord extends LogRecord {
  /** Byte offset of the record header in its file. */
  offset: number;
  /** Offset just past the record. */
  end: number;
}

export function encodeLogHeader(): Buffer {
  const header = Buffer.alloc(LOG_HEADER_SIZE);
  LOG_MAGIC.copy(header, 0);
  header.writeUInt32BE(LOG_VERSION, 4);
  return header;
}

function recordChecksum(buf: Buffer, offset: number, payloadLength: number): number {
  const lengthCrc = crc32(buf.subarray(offset, offset + 4));
  return crc32(buf.subarray(offset + 8, offset + RECORD_HEADER_SIZE + payloadLength), lengthCrc);
}

export function recordSize(payloadLength: number): number {
  return RECORD_HEADER_SIZE + payloadLength;
}

/** Encodes one record into `target` at `offset`; returns the offset after it. */
export function encodeRecordInto(target: Buffer, offset: number, zxid: bigint, payload: Buffer): number {
  if (zxid <= 0n) throw new RangeError(`zxid must be positive, got ${zxid}`);
  if (payload.length > MAX_RECORD_PAYLOAD) throw new RangeError(`txn of ${payload.length} bytes exceeds ${MAX_RECORD_PAYLOAD}`);
  target.writeUInt32BE(payload.length, offset);
  target.writeBigUInt64BE(zxid, offset + 8);
  payload.copy(target, offset + RECORD_HEADER_SIZE);
  target.writeUInt32BE(recordChecksum(target, offset, payload.length), offset + 4);
  return offset + recordSize(payload.length);
}

export type ScanStop =
  /** Clean end: end of file, or nothing but zeros after the last record. */
  | { kind: 'end' }
  /** Something that is not a valid next record starts here. */
  | { kind: 'damaged'; offset: number; reason: string };

export interface LogScan {
  headerValid: boolean;
  records: ScannedRecord[];
  /** Offset just past the last valid record (or past the header). */
  validEnd: number;
  stop: ScanStop;
}

const ZEROS = Buffer.alloc(64 * 1024);

/** Native compares against a zero block: a preallocated log file is mostly zeros, tens of MB of them. */
function allZero(buf: Buffer, from: number): boolean {
  for (let at = from; at < buf.length; at += ZEROS.length) {
    const end = Math.min(at + ZEROS.length, buf.length);
    if (ZEROS.compare(buf, at, end, 0, end - at) !== 0) return false;
  }
  return true;
}

type RecordAt = { ok: true; record: ScannedRecord } | { ok: false; reason: string } | { ok: 'zeros' };

function decodeRecordAt(buf: Buffer, offset: number, previousZxid: bigint): RecordAt {
  if (buf.length - offset < RECORD_HEADER_SIZE) {
    return allZero(buf, offset) ? { ok: 'zeros' } : { ok: false, reason: 'incomplete record header' };
  }
  const length = buf.readUInt32BE(offset);
  const checksum = buf.readUInt32BE(offset + 4);
  const zxid = buf.readBigUInt64BE(offset + 8);
  if (length === 0 && checksum === 0 && zxid === 0n) return { ok: 'zeros' };
  if (length > MAX_RECORD_PAYLOAD) return { ok: false, reason: `impossible record length ${length}` };
  const end = offset + recordSize(length);
  if (end > buf.length) return { ok: false, reason: `incomplete record (${length} byte payload runs past end of file)` };
  if (recordChecksum(buf, offset, length) !== checksum) return { ok: false, reason: 'checksum mismatch' };
  if (zxid <= previousZxid) return { ok: false, reason: `zxid 0x${zxid.toString(16)} not after 0x${previousZxid.toString(16)}` };
  return { ok: true, record: { zxid, bytes: buf.subarray(offset + RECORD_HEADER_SIZE, end), offset, end } };
}

/**
 * Where the records in `buf` (a log file's first bytes) end, found by walking their length fields only: the offset
 * of the first all-zero record header, or null when the walk runs out of `buf` or meets a bad file header first.
 * Checksums are scanLog's job; this only says how far a reader must read.
 */
export function recordsEnd(buf: Buffer): number | null {
  if (buf.length < LOG_HEADER_SIZE || !buf.subarray(0, 4).equals(LOG_MAGIC)) return null;
  let offset = LOG_HEADER_SIZE;
  while (offset + RECORD_HEADER_SIZE <= buf.length) {
    if (ZEROS.compare(buf, offset, offset + RECORD_HEADER_SIZE, 0, RECORD_HEADER_SIZE) === 0) return offset;
    offset += recordSize(buf.readUInt32BE(offset));
  }
  return null;
}

/** Decodes a whole log file's bytes, stopping at the first thing that is not a valid record. */
export function scanLog(buf: Buffer, previousZxid = 0n): LogScan {
  if (buf.length < LOG_HEADER_SIZE || !buf.subarray(0, 4).equals(LOG_MAGIC) || buf.readUInt32BE(4) !== LOG_VERSION) {
    const stop: ScanStop = allZero(buf, 0) ? { kind: 'end' } : { kind: 'damaged', offset: 0, reason: 'bad file header' };
    return { headerValid: false, records: [], validEnd: 0, stop };
  }
  const records: ScannedRecord[] = [];
  let offset = LOG_HEADER_SIZE;
  let lastZxid = previousZxid;
  for (;;) {
    if (offset === buf.length) return { headerValid: true, records, validEnd: offset, stop: { kind: 'end' } };
    const next = decodeRecordAt(buf, offset, lastZxid);
    if (next.ok === true) {
      records.push(next.record);
      lastZxid = next.record.zxid;
      offset = next.record.end;
      continue;
    }
    if (next.ok === 'zeros' && allZero(buf, offset)) {
      return { headerValid: true, records, validEnd: offset, stop: { kind: 'end' } };
    }
    const reason = next.ok === 'zeros' ? 'zeroed record header followed by data' : next.reason;
    return { headerValid: true, records, validEnd: offset, stop: { kind: 'damaged', offset, reason } };
  }
}

/**
 * Whether a valid record (zxid after `previousZxid`) starts anywhere after `from`. This is what tells a
 * torn tail (nothing valid follows: safe to cut) from damage in the middle (acknowledged txns follow).
 */
export function findValidRecordAfter(buf: Buffer, from: number, previousZxid: bigint): number | null {
  let lastNonZero = buf.length - 1;
  while (lastNonZero > from && buf[lastNonZero] === 0) lastNonZero--;
  // A record header always holds a non-zero byte (its zxid), so no record starts after the last one.
  for (let offset = from + 1; offset <= lastNonZero; offset++) {
    const next = decodeRecordAt(buf, offset, previousZxid);
    if (next.ok === true) return offset;
  }
  return null;
}
