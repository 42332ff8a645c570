/**
 * One node, forceSync on, against Apache ZooKeeper 3.8 standalone on the same machine in the same run: the SAME
 * workloads through OUR client (ensemble/client) against each. setData and create of 100-byte values, sequential
 * (1 in flight) and pipelined (64 in flight on one connection), a fixed duration after a warm-up (which also
 * lets ZooKeeper's JIT compile its hot paths). Prints one table and writes bench/results/<date>-standalone.json.
 *
 *   npm run bench:standalone                 (5 s per workload)
 *   BENCH_SECONDS=10 BENCH_WARMUP=5 npm run bench:standalone
 *   BENCH_ONLY=ours npm run bench:standalone   (skip ZooKeeper, e.g. to profile ours)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZkClient } from '../ensemble/client/index.ts';
import { startApacheZk, type RunningServer } from '../tests/helpers/apache-zk.ts';
import { startOurServer } from '../tests/helpers/our-server.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP ?? 3);
const PIPELINE = Number(process.env.BENCH_PIPELINE ?? 64);
const TICK = 2000;
const VALUE = Buffer.alloc(100, 0x61);
const only = process.env.BENCH_ONLY;

interface Workload {
  name: string;
  op: 'setData' | 'create';
  inFlight: number;
}

const WORKLOADS: Workload[] = [
  { name: 'setData 100 B, sequential', op: 'setData', inFlight: 1 },
  { name: `setData 100 B, pipelined ×${PIPELINE}`, op: 'setData', inFlight: PIPELINE },
  { name: 'create 100 B, sequential', op: 'create', inFlight: 1 },
  { name: `create 100 B, pipelined ×${PIPELINE}`, op: 'create', inFlight: PIPELINE },
];

interface Result {
  ops: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

let createCounter = 0;

/** Runs `w` for `seconds` with `w.inFlight` workers sharing one connection; latency per op. */
async function drive(zk: ZkClient, w: Workload, seconds: number, root: string): Promise<Result> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const worker = async (id: number) => {
    const target = `${root}/w${id}`;
    while (performance.now() < deadline) {
      const t0 = performance.now();
      if (w.op === 'setData') await zk.setData(target, VALUE);
      else await zk.create(`${root}/c${createCounter++}`, VALUE);
      latencies.push(performance.now() - t0);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: w.inFlight }, (_, i) => worker(i)));
  const elapsed = (performance.now() - started) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return { ops: latencies.length, opsPerSec: latencies.length / elapsed, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
}

async function benchServer(label: string, server: RunningServer): Promise<Record<string, Result>> {
  const zk = await ZkClient.connect(server.connectString, { sessionTimeout: 30_000 });
  try {
    const root = '/bench';
    await zk.create(root, null);
    for (let i = 0; i < PIPELINE; i++) await zk.create(`${root}/w${i}`, VALUE);
    process.stderr.write(`${label}: warming up ${WARMUP_SECONDS}s\n`);
    await drive(zk, { name: 'warm-up', op: 'setData', inFlight: PIPELINE }, WARMUP_SECONDS / 2, root);
    await drive(zk, { name: 'warm-up', op: 'create', inFlight: PIPELINE }, WARMUP_SECONDS / 2, root);
    const out: Record<string, Result> = {};
    for (const w of WORKLOADS) {
      out[w.name] = await drive(zk, w, SECONDS, root);
      process.stderr.write(`${label}: ${w.name}: ${Math.round(out[w.name]!.opsPerSec)} ops/s\n`);
    }
    return out;
  } finally {
    await zk.close();
  }
}

function fmt(n: number | undefined, digits = 2): string {
  return n === undefined || Number.isNaN(n) ? '—' : n.toFixed(digits);
}

async function main(): Promise<void> {
  const results: { ours?: Record<string, Result>; zookeeper?: Record<string, Result> } = {};
  // One server at a time: they share 2 cores and one disk.
  if (only !== 'zookeeper') {
    const ours = await startOurServer({ tickTime: TICK, config: { forceSync: 'yes' } });
    try {
      results.ours = await benchServer('ours', ours);
    } finally {
      await ours.stop();
    }
  }
  if (only !== 'ours') {
    const zk = await startApacheZk({ tickTime: TICK, config: { forceSync: 'yes' } });
    try {
      results.zookeeper = await benchServer('zookeeper', zk);
    } finally {
      await zk.stop();
    }
  }

  const header = '| workload | ours ops/s | ZK ops/s | ratio | ours p50 ms | ZK p50 ms | ours p99 ms | ZK p99 ms | p99 ratio |';
  const lines = [header, '|---|---:|---:|---:|---:|---:|---:|---:|---:|'];
  for (const w of WORKLOADS) {
    const a = results.ours?.[w.name];
    const b = results.zookeeper?.[w.name];
    lines.push(
      `| ${w.name} | ${fmt(a?.opsPerSec, 0)} | ${fmt(b?.opsPerSec, 0)} | ${a && b ? fmt(a.opsPerSec / b.opsPerSec) : '—'} | ` +
        `${fmt(a?.p50Ms)} | ${fmt(b?.p50Ms)} | ${fmt(a?.p99Ms)} | ${fmt(b?.p99Ms)} | ${a && b ? fmt(a.p99Ms / b.p99Ms) : '—'} |`,
    );
  }
  const table = lines.join('\n');
  process.stdout.write(table + '\n');

  const here = path.dirname(fileURLToPath(import.meta.url));
  const dir = path.join(here, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().slice(0, 10)}-standalone.json`);
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '?', memGiB: Math.round(os.totalmem() / 2 ** 30), kernel: os.release(), node: process.version };
  fs.writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), machine, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, pipeline: PIPELINE, tickTime: TICK, forceSync: true, results, table }, null, 2) + '\n');
  process.stderr.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
