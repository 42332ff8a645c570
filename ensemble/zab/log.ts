/**
 * A ZAB node's in-memory log after its base: the txns a lagging learner can be sent by DIFF, and the proposals not
 * yet committed. It can hold tens of thousands of txns (about snapThreshold), and one Buffer of its own per txn costs
 * ~300 B of JS objects and malloc'd bookkeeping beside its bytes. So txns that are committed and durable, which no
 * longer change and are read only to sync a learner, are packed: SEGMENT of them share one Buffer, with their zxids
 * and end offsets in typed arrays. The newest stay as the LogEntry objects they arrived as.
 */
import type { LogEntry } from './ready.ts';

const SEGMENT = 1024;

interface Segment {
  zxids: BigInt64Array;
  /** ends[i]: where txn i's bytes end in `bytes`; it starts where txn i-1's end. */
  ends: Int32Array;
  bytes: Buffer;
}

export class ZabLog {
  /** Packed txns, SEGMENT each, oldest first; the first `skip` of segments[0] are forgotten. */
  private segments: Segment[] = [];
  private skip = 0;
  /** The txns after the packed ones. */
  private tail: LogEntry[] = [];

  constructor(entries: LogEntry[] = []) {
    this.tail = entries;
  }

  get length(): number {
    return this.packedCount() + this.tail.length;
  }

  /** The txn at index i; packed txns come back as views into their segment. */
  at(i: number): LogEntry {
    const packed = this.packedCount();
    if (i >= packed) return this.tail[i - packed]!;
    const p = i + this.skip;
    const seg = this.segments[p >>> 10]!;
    const k = p & (SEGMENT - 1);
    return { zxid: seg.zxids[k]!, payload: seg.bytes.subarray(k === 0 ? 0 : seg.ends[k - 1]!, seg.ends[k]!) };
  }

  zxidAt(i: number): bigint {
    const packed = this.packedCount();
    if (i >= packed) return this.tail[i - packed]!.zxid;
    const p = i + this.skip;
    return this.segments[p >>> 10]!.zxids[p & (SEGMENT - 1)]!;
  }

  last(): LogEntry | undefined {
    return this.length === 0 ? undefined : this.at(this.length - 1);
  }

  push(entry: LogEntry): void {
    this.tail.push(entry);
  }

  /** Index of the first txn with a zxid above `zxid`. */
  indexAfter(zxid: bigint): number {
    const packed = this.packedCount();
    // Commits and proposals ask about the newest txns: search the unpacked tail alone when the answer is there.
    if (packed === 0 || (this.tail.length > 0 && zxid >= this.tail[0]!.zxid)) {
      let lo = 0;
      let hi = this.tail.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.tail[mid]!.zxid <= zxid) lo = mid + 1;
        else hi = mid;
      }
      return packed + lo;
    }
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.zxidAt(mid) <= zxid) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Forgets the first n txns. */
  dropFirst(n: number): void {
    if (n <= 0) return;
    const packed = this.packedCount();
    if (n >= packed) {
      this.tail = this.tail.slice(n - packed);
      this.segments = [];
      this.skip = 0;
      return;
    }
    this.skip += n;
    const whole = Math.floor(this.skip / SEGMENT);
    this.segments = this.segments.slice(whole);
    this.skip -= whole * SEGMENT;
  }

  /** Keeps the first n txns. */
  keepFirst(n: number): void {
    if (n >= this.length) return;
    const packed = this.packedCount();
    if (n >= packed) {
      this.tail.length = n - packed;
      return;
    }
    // Only uncommitted txns are ever cut (TRUNC), and packed ones are committed; unpack rather than refuse.
    this.replace(this.toArray().slice(0, n));
  }

  replace(entries: LogEntry[]): void {
    this.segments = [];
    this.skip = 0;
    this.tail = entries;
  }

  toArray(): LogEntry[] {
    return Array.from({ length: this.length }, (_, i) => this.at(i));
  }

  zxids(): bigint[] {
    return Array.from({ length: this.length }, (_, i) => this.zxidAt(i));
  }

  /**
   * Packs txns below index `stable` (committed and durable), a segment at a time, leaving the newest `keep` of them
   * unpacked: those are the ones commits and an observer's INFORMs still read.
   */
  pack(stable: number, keep: number): void {
    while (stable - this.packedCount() - keep >= SEGMENT) {
      const batch = this.tail.slice(0, SEGMENT);
      this.tail = this.tail.slice(SEGMENT);
      this.segments.push(packSegment(batch));
    }
  }

  private packedCount(): number {
    return this.segments.length * SEGMENT - this.skip;
  }
}

function packSegment(entries: LogEntry[]): Segment {
  let total = 0;
  for (const e of entries) total += e.payload.length;
  const bytes = Buffer.allocUnsafeSlow(total);
  const zxids = new BigInt64Array(entries.length);
  const ends = new Int32Array(entries.length);
  let at = 0;
  entries.forEach((e, i) => {
    e.payload.copy(bytes, at);
    at += e.payload.length;
    zxids[i] = e.zxid;
    ends[i] = at;
  });
  return { zxids, ends, bytes };
}
