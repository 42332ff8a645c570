/**
 * The workloads of `npm run bench` (issue 8), run against one system. Each workload returns named measurements;
 * run.ts repeats them, takes medians and puts both systems side by side.
 */
import { measurePush } from './push-measure.ts';
import { CreateMode, ZkClient } from '../ensemble/client/index.ts';
import { closedLoop, openLoop, type LoadResult, type Op } from './drivers.ts';
import { measureFailover } from './failover-measure.ts';
import { Histogram } from './histogram.ts';
import { cpuPercent, jvmLiveHeapBytes, ourHeapBytes, rssBytes } from './proc-stats.ts';
import type { BenchSystem, Timing } from './systems.ts';

export type Better = 'higher' | 'lower';

export interface Measurement {
  /** Stable key, the same for both systems (JSON, and matching rows). */
  key: string;
  metric: string;
  unit: string;
  better: Better;
  value: number;
}

export interface BenchSettings {
  quick: boolean;
  seconds: number;
  warmupSeconds: number;
  runs: number;
  watchers: number;
  fanoutWrites: number;
  sessions: number;
  idleSessions: number;
  idleSeconds: number;
  znodes: number;
  failoverTrials: number;
  timing: Timing;
  sessionTimeoutMs: number;
}

export const VALUE = Buffer.alloc(100, 0x62);
const ROOT = '/bench';
const TARGETS = 256; // znodes setData spreads over: one per worker at 256 in flight
const CHILDREN = 1000;
const CREATE_BATCH = 256;

/** Sessions opened on every server in turn, `perServer` each. */
export async function openSessions(system: BenchSystem, count: number, sessionTimeoutMs: number, batch = 100): Promise<ZkClient[]> {
  const out: ZkClient[] = [];
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    out.push(...(await Promise.all(Array.from({ length: n }, (_, j) => ZkClient.connect(system.nodes[(i + j) % system.nodes.length]!.address, { sessionTimeout: sessionTimeoutMs })))));
  }
  return out;
}

async function closeAll(clients: ZkClient[], batch = 200): Promise<void> {
  for (let i = 0; i < clients.length; i += batch) await Promise.all(clients.slice(i, i + batch).map((c) => c.close().catch(() => undefined)));
}

/** Runs `make(i)` for i in [0, count) with at most `CREATE_BATCH` in flight. */
async function pipelined(count: number, make: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CREATE_BATCH, count) }, async () => {
      while (next < count) await make(next++);
    }),
  );
}

const latencyRows = (key: string, label: string, r: LoadResult, which: Array<'ops' | 50 | 99 | 99.9>): Measurement[] =>
  which.map((w) =>
    w === 'ops'
      ? { key: `${key}.ops`, metric: `${label}: throughput`, unit: 'ops/s', better: 'higher' as const, value: r.opsPerSec }
      : { key: `${key}.p${w}`, metric: `${label}: p${w}`, unit: 'ms', better: 'lower' as const, value: r.hist.percentileMs(w) },
  );

export interface ThroughputRow {
  key: string;
  label: string;
  inFlight: number;
  op: Op;
  report: Array<'ops' | 50 | 99 | 99.9>;
}

const setData: Op = (c, w) => c.setData(`${ROOT}/w${w % TARGETS}`, VALUE);
const getData: Op = (c, w) => c.getData(`${ROOT}/w${w % TARGETS}`);
export const THROUGHPUT_ROWS: ThroughputRow[] = [
  { key: 'setData.1', label: 'setData 100 B, 1 in flight', inFlight: 1, op: setData, report: ['ops', 50, 99, 99.9] },
  { key: 'setData.16', label: 'setData 100 B, 16 in flight', inFlight: 16, op: setData, report: ['ops', 50, 99, 99.9] },
  { key: 'setData.256', label: 'setData 100 B, 256 in flight', inFlight: 256, op: setData, report: ['ops', 50, 99, 99.9] },
  {
    key: 'createDelete.16',
    label: 'create + delete 100 B (pairs), 16 in flight',
    inFlight: 16,
    op: async (c, w, n) => {
      const p = `${ROOT}/cd/w${w}-${n}`;
      await c.create(p, VALUE);
      await c.delete(p);
    },
    report: ['ops', 99],
  },
  { key: 'createSeq.16', label: 'sequential create 100 B, 16 in flight', inFlight: 16, op: (c) => c.create(`${ROOT}/seq/n-`, VALUE, { mode: CreateMode.PERSISTENT_SEQUENTIAL }), report: ['ops', 99] },
  { key: 'getData.1', label: 'getData 100 B, 1 in flight', inFlight: 1, op: getData, report: ['ops', 50, 99] },
  { key: 'getData.64', label: 'getData 100 B, 64 in flight', inFlight: 64, op: getData, report: ['ops', 99] },
  { key: 'getChildren.16', label: 'getChildren of 1,000 children, 16 in flight', inFlight: 16, op: (c) => c.getChildren(`${ROOT}/kids`), report: ['ops', 99] },
  {
    key: 'mixed.64',
    label: 'mixed 90% getData / 10% setData, 64 in flight',
    inFlight: 64,
    // Every tenth request of the run is a write, so the mix is exact whatever the worker count.
    op: (c, w, n) => (n % 10 === 9 ? setData(c, w, n) : getData(c, w, n)),
    report: ['ops', 99],
  },
];

/** Creates the znodes the workloads use. */
export async function prepare(client: ZkClient): Promise<void> {
  for (const p of [ROOT, `${ROOT}/cd`, `${ROOT}/seq`, `${ROOT}/kids`, `${ROOT}/fan`]) await client.create(p, VALUE);
  await pipelined(TARGETS, (i) => client.create(`${ROOT}/w${i}`, VALUE));
  await pipelined(CHILDREN, (i) => client.create(`${ROOT}/kids/child-${String(i).padStart(4, '0')}`, VALUE));
}

export async function warmUp(clients: ZkClient[], seconds: number): Promise<void> {
  if (seconds <= 0) return;
  await closedLoop(clients, 64, seconds / 2, setData);
  await closedLoop(clients, 64, seconds / 2, getData);
}

export async function throughputRow(clients: ZkClient[], row: ThroughputRow, seconds: number): Promise<Measurement[]> {
  const r = await closedLoop(clients, row.inFlight, seconds, row.op);
  return latencyRows(row.key, row.label, r, row.report);
}

export type OpenLoopKind = 'setData' | 'getData';

export async function openLoopRow(clients: ZkClient[], kind: OpenLoopKind, rate: number, seconds: number): Promise<Measurement[]> {
  const r = await openLoop(clients, rate, seconds, kind === 'setData' ? setData : getData);
  const label = `open loop ${kind} at ${Math.round(rate)}/s`;
  return [
    { key: `open.${kind}.achieved`, metric: `${label}: achieved`, unit: 'ops/s', better: 'higher', value: r.opsPerSec },
    ...latencyRows(`open.${kind}`, label, r, [50, 99, 99.9]),
  ];
}

/** `watchers` sessions hold a data watch on one znode; per write, time from the write's reply to each session's event. */
/** Config push end to end through the SDK: one file, `watchers` subscribers (ConfigClients) in worker processes. */
export async function sdkPush(system: BenchSystem, s: BenchSettings): Promise<Measurement[]> {
  const hist = new Histogram();
  for (const ms of await measurePush(system.connectString, s.watchers, s.fanoutWrites)) hist.recordMs(Math.max(0, ms));
  const label = `config push through the SDK to ${s.watchers} subscribers (setData sent → 'change' callback)`;
  return [
    { key: 'push.p50', metric: `${label}: p50`, unit: 'ms', better: 'lower', value: hist.percentileMs(50) },
    { key: 'push.p99', metric: `${label}: p99`, unit: 'ms', better: 'lower', value: hist.percentileMs(99) },
  ];
}

export async function fanOut(system: BenchSystem, s: BenchSettings): Promise<Measurement[]> {
  const path = `${ROOT}/fan`;
  const watchers = await openSessions(system, s.watchers, s.sessionTimeoutMs);
  const writer = await ZkClient.connect(system.nodes[0]!.address, { sessionTimeout: s.sessionTimeoutMs });
  const hist = new Histogram();
  const fromSend = new Histogram();
  try {
    let arrivals: number[] = [];
    let rearms: Array<Promise<unknown>> = [];
    let wake: () => void = () => {};
    const arm = (c: ZkClient): Promise<unknown> =>
      c.getData(path, () => {
        arrivals.push(performance.now());
        rearms.push(arm(c));
        if (arrivals.length === watchers.length) wake();
      });
    await Promise.all(watchers.map(arm));
    for (let i = 0; i < s.fanoutWrites; i++) {
      arrivals = [];
      rearms = [];
      const all = new Promise<void>((resolve, reject) => {
        wake = resolve;
        setTimeout(() => reject(new Error(`fan-out: ${arrivals.length} of ${watchers.length} events within 60 s`)), 60_000).unref();
      });
      const sentAt = performance.now();
      await writer.setData(path, VALUE);
      const repliedAt = performance.now();
      await all;
      // An event may beat the writer's own reply to the bench process; that is 0 ms after the reply, not less.
      for (const t of arrivals) hist.recordMs(Math.max(0, t - repliedAt));
      for (const t of arrivals) fromSend.recordMs(t - sentAt);
      await Promise.all(rearms);
    }
  } finally {
    await closeAll([writer, ...watchers]);
  }
  const label = `watch fan-out to ${s.watchers} sessions (write reply → event)`;
  return [
    { key: 'fanout.p50', metric: `${label}: p50`, unit: 'ms', better: 'lower', value: hist.percentileMs(50) },
    { key: 'fanout.p99', metric: `${label}: p99`, unit: 'ms', better: 'lower', value: hist.percentileMs(99) },
    { key: 'fanout.sent.p50', metric: `watch fan-out to ${s.watchers} sessions (write sent → event): p50`, unit: 'ms', better: 'lower', value: fromSend.percentileMs(50) },
    { key: 'fanout.sent.p99', metric: `watch fan-out to ${s.watchers} sessions (write sent → event): p99`, unit: 'ms', better: 'lower', value: fromSend.percentileMs(99) },
  ];
}

const serverPids = (system: BenchSystem): number[] => system.nodes.map((n) => n.pid()).filter((p): p is number => p !== null);
const totalRss = (system: BenchSystem): number => serverPids(system).reduce((sum, pid) => sum + rssBytes(pid), 0);

export async function sessionChurn(system: BenchSystem, s: BenchSettings): Promise<Measurement[]> {
  const t0 = performance.now();
  const clients = await openSessions(system, s.sessions, s.sessionTimeoutMs);
  const opened = performance.now();
  await closeAll(clients, 100);
  const closed = performance.now();
  return [
    { key: 'sessions.open', metric: `open ${s.sessions} sessions (100 at a time)`, unit: 'sessions/s', better: 'higher', value: s.sessions / ((opened - t0) / 1000) },
    { key: 'sessions.close', metric: `close ${s.sessions} sessions (100 at a time)`, unit: 'sessions/s', better: 'higher', value: s.sessions / ((closed - opened) / 1000) },
  ];
}

/** Live heap after a forced GC per server, averaged (ours: V8 used heap plus ArrayBuffers, see proc-stats). */
async function meanHeapBytes(system: BenchSystem): Promise<number> {
  const per = await Promise.all(system.nodes.map((n) => (system.name === 'zookeeper' ? jvmLiveHeapBytes(n.pid()!) : ourHeapBytes(n.address, n.pid()!))));
  return per.reduce((a, b) => a + b, 0) / per.length;
}

export async function idleSessions(system: BenchSystem, s: BenchSettings): Promise<Measurement[]> {
  const before = totalRss(system);
  const heapBefore = await meanHeapBytes(system);
  const clients = await openSessions(system, s.idleSessions, s.sessionTimeoutMs);
  try {
    await new Promise((r) => setTimeout(r, 1000)); // let connection set-up garbage and buffers settle
    const after = totalRss(system);
    const cpu = await cpuPercent(serverPids(system), s.idleSeconds * 1000);
    // After the CPU window: ZooKeeper's figure forces a GC, which would count as load.
    const heapAfter = await meanHeapBytes(system);
    // Every server knows every session; each holds the connections of about a third of them.
    return [
      { key: 'idle.memory', metric: `${s.idleSessions} idle sessions: server RSS per session`, unit: 'KB', better: 'lower', value: (after - before) / s.idleSessions / 1024 },
      { key: 'idle.heap', metric: `${s.idleSessions} idle sessions: heap growth per session, per server (live after GC; ours: V8 heap + ArrayBuffers)`, unit: 'KB', better: 'lower', value: (heapAfter - heapBefore) / s.idleSessions / 1024 },
      { key: 'idle.cpu', metric: `${s.idleSessions} idle sessions: CPU of the 3 servers`, unit: '% of a core', better: 'lower', value: cpu },
    ];
  } finally {
    await closeAll(clients);
  }
}

export async function failover(system: BenchSystem, s: BenchSettings): Promise<{ rows: Measurement[]; samples: number[] }> {
  const samples: number[] = [];
  let expired = 0;
  for (let t = 0; t < s.failoverTrials; t++) {
    const r = await measureFailover(system, s.sessionTimeoutMs);
    samples.push(r.ms);
    expired += r.expiredSessions;
  }
  return {
    samples,
    rows: [
      { key: 'failover.max', metric: `failover after kill -9 of the leader: worst of ${s.failoverTrials}`, unit: 'ms', better: 'lower', value: Math.max(...samples) },
      { key: 'failover.expired', metric: 'failover: sessions expired (all trials)', unit: 'sessions', better: 'lower', value: expired },
    ],
  };
}

/** Loads `znodes` znodes of 100 B into a fresh system; memory per znode; then every node killed and restarted. */
export async function scale(system: BenchSystem, s: BenchSettings): Promise<Measurement[]> {
  const heap = (): Promise<number> => meanHeapBytes(system);
  const clients = await openSessions(system, 3, s.sessionTimeoutMs);
  const rssBefore = totalRss(system) / system.nodes.length;
  const heapBefore = await heap();
  const perParent = 1000;
  const parents = Math.ceil(s.znodes / perParent);
  const loadStart = performance.now();
  await clients[0]!.create('/scale', null);
  await pipelined(parents, (i) => clients[i % 3]!.create(`/scale/p${i}`, null));
  await pipelined(s.znodes, (i) => clients[i % 3]!.create(`/scale/p${Math.floor(i / perParent)}/n${i % perParent}`, VALUE));
  const loadSeconds = (performance.now() - loadStart) / 1000;
  await new Promise((r) => setTimeout(r, 1000));
  const rssAfter = totalRss(system) / system.nodes.length;
  const heapAfter = await heap();
  await closeAll(clients);

  for (const n of system.nodes) await n.kill();
  const t0 = performance.now();
  await Promise.all(system.nodes.map((n) => n.restart()));
  const portsOpenMs = performance.now() - t0;
  await system.waitForLeader(600_000);
  const leaderMs = performance.now() - t0;
  const check = await ZkClient.connect(system.connectString, { sessionTimeout: s.sessionTimeoutMs });
  const last = s.znodes - 1;
  await check.getData(`/scale/p${Math.floor(last / perParent)}/n${last % perParent}`);
  const restartMs = performance.now() - t0;
  await check.close();

  const n = s.znodes;
  return [
    { key: 'scale.load', metric: `load ${n} znodes of 100 B (256 in flight)`, unit: 'creates/s', better: 'higher', value: n / loadSeconds },
    { key: 'scale.rss', metric: `${n} znodes: RSS per server`, unit: 'MB', better: 'lower', value: rssAfter / 2 ** 20 },
    { key: 'scale.rssPerZnode', metric: `${n} znodes: RSS growth per znode`, unit: 'B', better: 'lower', value: (rssAfter - rssBefore) / n },
    { key: 'scale.heapPerZnode', metric: `${n} znodes: heap growth per znode (live after GC; ours: V8 heap + ArrayBuffers)`, unit: 'B', better: 'lower', value: (heapAfter - heapBefore) / n },
    { key: 'scale.restartPorts', metric: `${n} znodes: restart, until all 3 client ports accept`, unit: 'ms', better: 'lower', value: portsOpenMs },
    { key: 'scale.restartLeader', metric: `${n} znodes: restart, until a leader and 2 followers serve`, unit: 'ms', better: 'lower', value: leaderMs },
    { key: 'scale.restart', metric: `${n} znodes: kill -9 all 3, restart → leader + read`, unit: 'ms', better: 'lower', value: restartMs },
  ];
}
