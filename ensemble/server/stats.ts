/** Counters behind srvr / stat / mntr / cons (ZooKeeper's ServerStats and per-connection stats). */
export class LatencyStats {
  min = Number.MAX_SAFE_INTEGER;
  max = 0;
  total = 0;
  count = 0;

  record(ms: number): void {
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
    this.total += ms;
    this.count++;
  }

  get minOrZero(): number {
    return this.count === 0 ? 0 : this.min;
  }

  get avg(): number {
    return this.count === 0 ? 0 : this.total / this.count;
  }

  reset(): void {
    this.min = Number.MAX_SAFE_INTEGER;
    this.max = 0;
    this.total = 0;
    this.count = 0;
  }
}

export class ServerStats {
  packetsReceived = 0;
  packetsSent = 0;
  readonly latency = new LatencyStats();
  authFailed = 0;
  connectionRejected = 0;
  readonly startedAt = Date.now();

  reset(): void {
    this.packetsReceived = 0;
    this.packetsSent = 0;
    this.latency.reset();
  }
}

/** Java's Double.toString for the small non-negative values we print (9 → "9.0"). */
export function javaDouble(v: number): string {
  if (Number.isInteger(v)) return `${v}.0`;
  return String(Math.round(v * 10000) / 10000);
}
