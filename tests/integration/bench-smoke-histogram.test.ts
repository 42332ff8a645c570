/** The benchmark's latency histogram (bench/histogram.ts): percentiles within its stated 1% error. */
import { describe, expect, it } from 'vitest';
import { Histogram } from '../../bench/histogram.ts';

function exactPercentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe('bench Histogram', () => {
  it('reports percentiles of a wide distribution within 1% of the exact values', () => {
    const values: number[] = [];
    let x = 12345;
    for (let i = 0; i < 20_000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31; // deterministic spread from 1 µs to ~2 s
      values.push(Math.exp((x / 2 ** 31) * Math.log(2_000_000)) / 1000);
    }
    const h = new Histogram();
    for (const v of values) h.recordMs(v);
    const sorted = values.map((v) => Math.round(v * 1000) / 1000).sort((a, b) => a - b);
    expect(h.count).toBe(values.length);
    for (const p of [1, 50, 90, 99, 99.9, 100]) {
      const exact = exactPercentile(sorted, p);
      expect(Math.abs(h.percentileMs(p) - exact), `p${p}`).toBeLessThanOrEqual(exact * 0.01 + 0.001);
    }
    expect(h.maxMs()).toBeCloseTo(sorted.at(-1)!, 3);
  });

  it('is exact below 128 µs, NaN when empty, and merges', () => {
    const a = new Histogram();
    expect(a.percentileMs(50)).toBeNaN();
    for (const us of [5, 7, 100]) a.recordUs(us);
    expect(a.percentileMs(50)).toBe(0.007);
    const b = new Histogram();
    b.recordUs(250_000);
    a.add(b);
    expect(a.count).toBe(4);
    expect(a.percentileMs(100)).toBe(250);
    expect(a.percentileMs(75)).toBe(0.1);
  });
});
