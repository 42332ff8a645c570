/**
 * Transaction-log durability cost on this machine: latency of one append + fdatasync, and appends/s with
 * 1 and with 256 concurrent appenders (group commit). Real files, real fdatasync, default 64 MiB preallocation.
 *
 *   npx tsx bench/storage-fsync.ts [seconds per run, default 3] [payload bytes, default 200]
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Storage } from '../ensemble/storage/index.ts';

const seconds = Number(process.argv[2] ?? 3);
const payloadBytes = Number(process.argv[3] ?? 200);
const payload = Buffer.alloc(payloadBytes, 0x61);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function run(appenders: number): Promise<void> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'storage-bench-'));
  const storage = await Storage.open({ dataDir: dir, log: () => undefined });
  await storage.recover();
  // The first append creates and zero-fills the 64 MiB file; keep that out of the steady-state numbers.
  await storage.append(1n, payload);
  const syncsBefore = storage.metrics.fsyncCount;
  let next = 2n;
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  const appender = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const zxid = next++;
      const t0 = performance.now();
      await storage.append(zxid, payload);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: appenders }, appender));
  const elapsed = (performance.now() - started) / 1000;
  const syncs = storage.metrics.fsyncCount - syncsBefore;
  await storage.close();
  await fsp.rm(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  console.log(
    `${String(appenders).padStart(3)} appender(s): ${(latencies.length / elapsed).toFixed(0).padStart(7)} appends/s, ` +
      `${(syncs / elapsed).toFixed(0)} fdatasync/s, ${(latencies.length / Math.max(1, syncs)).toFixed(1)} appends per sync, ` +
      `latency p50 ${percentile(latencies, 50).toFixed(2)} ms p99 ${percentile(latencies, 99).toFixed(2)} ms`,
  );
}

console.log(`payload ${payloadBytes} B, ${seconds} s per run, tmpdir ${os.tmpdir()}`);
await run(1);
await run(256);
