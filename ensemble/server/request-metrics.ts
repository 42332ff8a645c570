/** Request latency histograms per op type, for the Prometheus endpoint (cheap: a few array increments per reply). */
import { OpCodeNames } from '../jute/index.ts';

/** Upper bounds in ms; the last bucket (+Inf) is implicit. */
export const LATENCY_BUCKETS_MS = [0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000] as const;

export class Histogram {
  readonly counts = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  count = 0;
  sumMs = 0;

  constructor(readonly bounds: readonly number[] = LATENCY_BUCKETS_MS) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(ms: number): void {
    let i = 0;
    while (i < this.bounds.length && ms > this.bounds[i]!) i++;
    this.counts[i]!++;
    this.count++;
    this.sumMs += ms;
  }
}

export class RequestMetrics {
  readonly byOp = new Map<string, Histogram>();

  record(opcode: number | undefined, ms: number): void {
    const op = (opcode !== undefined ? OpCodeNames[opcode] : undefined) ?? 'unknown';
    let h = this.byOp.get(op);
    if (!h) this.byOp.set(op, (h = new Histogram()));
    h.observe(ms);
  }
}
