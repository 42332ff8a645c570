/**
 * Load drivers. Closed loop: `inFlight` workers, each issuing its next request when the previous one is answered
 * (throughput, and latency as a client that waits sees it). Open loop: requests issued on a fixed schedule whatever
 * the answers do, latency measured from each request's *scheduled* time, so a stall shows up in every request it
 * delayed instead of being hidden by the driver waiting (coordinated omission).
 */
import type { ZkClient } from '../ensemble/client/index.ts';
import { Histogram } from './histogram.ts';

/** One request: `client` is the session to use, `worker` a stable small id, `seq` the op's number within the run. */
export type Op = (client: ZkClient, worker: number, seq: number) => Promise<unknown>;

export interface LoadResult {
  ops: number;
  errors: number;
  seconds: number;
  opsPerSec: number;
  hist: Histogram;
  firstError?: string;
}

/** Fails the row when more than this share of requests failed: the numbers would not mean anything. */
const MAX_ERROR_SHARE = 0.01;

export async function closedLoop(clients: ZkClient[], inFlight: number, seconds: number, op: Op): Promise<LoadResult> {
  const hist = new Histogram();
  let errors = 0;
  let firstError: string | undefined;
  let seq = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async (w: number): Promise<void> => {
    while (performance.now() < deadline) {
      const n = seq++;
      // Rotate sessions per request so even one request in flight visits every server.
      const client = clients[(w + n) % clients.length]!;
      const t0 = performance.now();
      try {
        await op(client, w, n);
        hist.recordMs(performance.now() - t0);
      } catch (e) {
        errors++;
        firstError ??= (e as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, (_, w) => worker(w)));
  return finish(hist, errors, firstError, (performance.now() - started) / 1000);
}

export interface OpenLoopResult extends LoadResult {
  targetRate: number;
  /** Most requests outstanding at once. */
  maxOutstanding: number;
}

/** Issues `rate` requests per second for `seconds`, never more than `maxOutstanding` at once (later ones wait, and their wait counts). */
export async function openLoop(clients: ZkClient[], rate: number, seconds: number, op: Op, maxOutstanding = 20_000): Promise<OpenLoopResult> {
  const hist = new Histogram();
  let errors = 0;
  let firstError: string | undefined;
  let issued = 0;
  let outstanding = 0;
  let peak = 0;
  const total = Math.max(1, Math.round(rate * seconds));
  const intervalMs = 1000 / rate;
  const started = performance.now();
  let allDone: () => void = () => {};
  const done = new Promise<void>((resolve) => (allDone = resolve));
  let completed = 0;

  const issue = (n: number): void => {
    const scheduledAt = started + n * intervalMs;
    const client = clients[n % clients.length]!;
    outstanding++;
    peak = Math.max(peak, outstanding);
    op(client, n % 1024, n).then(
      () => hist.recordMs(performance.now() - scheduledAt),
      (e: Error) => {
        errors++;
        firstError ??= e.message;
      },
    ).finally(() => {
      outstanding--;
      if (++completed === total) allDone();
    });
  };

  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor((performance.now() - started) / intervalMs) + 1);
      while (issued < due && outstanding < maxOutstanding) issue(issued++);
      if (issued >= total) resolve();
      else setTimeout(tick, Math.max(0, Math.min(1, started + issued * intervalMs - performance.now())));
    };
    tick();
  });
  await done;
  const result = finish(hist, errors, firstError, (performance.now() - started) / 1000);
  return { ...result, targetRate: rate, maxOutstanding: peak };
}

function finish(hist: Histogram, errors: number, firstError: string | undefined, seconds: number): LoadResult {
  const ops = hist.count;
  if (errors > Math.max(0, (ops + errors) * MAX_ERROR_SHARE)) {
    throw new Error(`${errors} of ${ops + errors} requests failed; first: ${firstError}`);
  }
  return { ops, errors, seconds, opsPerSec: ops / seconds, hist, ...(firstError ? { firstError } : {}) };
}
