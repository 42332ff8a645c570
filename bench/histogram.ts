/**
 * A small log-linear latency histogram in the spirit of HdrHistogram: values in microseconds, buckets exact up to
 * 2^SUB_BITS µs and then SUB_COUNT linear sub-buckets per power of two, so any recorded value is reported within
 * 1/SUB_COUNT (~0.8%) of itself whatever its magnitude, in constant memory and O(1) per record.
 */
const SUB_BITS = 7;
const SUB_COUNT = 1 << SUB_BITS;
const MAX_EXPONENT = 40; // 2^40 µs ≈ 12 days: nothing we time comes close.

export class Histogram {
  private readonly counts = new Float64Array((MAX_EXPONENT - SUB_BITS + 2) * SUB_COUNT);
  private total = 0;
  private maxUs = 0;
  private minUs = Infinity;
  private sumUs = 0;

  /** Records one latency given in milliseconds. */
  recordMs(ms: number): void {
    this.recordUs(Math.max(0, Math.round(ms * 1000)));
  }

  recordUs(us: number): void {
    this.counts[bucketOf(us)]! += 1;
    this.total++;
    this.sumUs += us;
    if (us > this.maxUs) this.maxUs = us;
    if (us < this.minUs) this.minUs = us;
  }

  get count(): number {
    return this.total;
  }

  /** Adds every value recorded in `other` (for merging per-worker histograms or repeated runs). */
  add(other: Histogram): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    this.sumUs += other.sumUs;
    this.maxUs = Math.max(this.maxUs, other.maxUs);
    this.minUs = Math.min(this.minUs, other.minUs);
  }

  /** The value at percentile `p` (0–100) in milliseconds: the highest value of the bucket that holds it. */
  percentileMs(p: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketHighUs(i), this.maxUs) / 1000;
    }
    return this.maxUs / 1000;
  }

  meanMs(): number {
    return this.total === 0 ? NaN : this.sumUs / this.total / 1000;
  }

  maxMs(): number {
    return this.total === 0 ? NaN : this.maxUs / 1000;
  }

  minMs(): number {
    return this.total === 0 ? NaN : this.minUs / 1000;
  }
}

function bucketOf(us: number): number {
  if (us < SUB_COUNT) return us;
  const exponent = Math.min(MAX_EXPONENT, Math.floor(Math.log2(us)));
  const shift = exponent - SUB_BITS;
  const sub = Math.min(SUB_COUNT - 1, Math.floor(us / 2 ** shift) - SUB_COUNT);
  return (shift + 1) * SUB_COUNT + sub;
}

function bucketHighUs(index: number): number {
  if (index < SUB_COUNT) return index;
  const shift = Math.floor(index / SUB_COUNT) - 1;
  const sub = index % SUB_COUNT;
  return (SUB_COUNT + sub + 1) * 2 ** shift - 1;
}
