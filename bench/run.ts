/**
 * `npm run bench`: our three-node ensemble vs a three-node Apache ZooKeeper 3.8 ensemble on this machine, in one run
 * (issue 8). Prints one table (metric | ours | ZooKeeper | ours/ZK), writes bench/results/<date>.json and the table
 * into docs/BENCHMARKS.md. Apache ZooKeeper is skipped, with the reason, when it is not installed.
 *
 *   npm run bench                     3 runs × 5 s per row, 30 s warm-up, 100,000 znodes for the scale rows
 *   npm run bench -- --full           5 runs × 10 s, 1,000,000 znodes, 10,000 idle sessions, 20 failovers
 *   npm run bench -- --quick          1 run × 1 s, small counts, no docs update (CI: npm run bench:smoke)
 *   flags: --write-rate N --read-rate N (fixed open-loop rates)  --only ours|zookeeper  --rows write,createDelete,createSeq,read,children,mixed,open,fanout,push,sessions,idle,failover,scale
 *          --seconds N --warmup N --runs N --znodes N --watchers N --sessions N --idle-sessions N --failovers N
 *          --out DIR (results JSON) --docs FILE | --no-docs
 *   npm run bench -- --render bench/results/<date>.json   re-render the table and docs/BENCHMARKS.md from saved results
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine, docsSection, renderTable, Results, writeDocs, type Machine, type Row } from './report.ts';
import { startSystem, zookeeperUnavailable, type BenchSystem, type SystemName } from './systems.ts';
import {
  fanOut,
  failover,
  sdkPush,
  idleSessions,
  openLoopRow,
  openSessions,
  prepare,
  scale,
  sessionChurn,
  THROUGHPUT_ROWS,
  throughputRow,
  warmUp,
  type BenchSettings,
  type Measurement,
} from './workloads.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ALL_ROWS = ['write', 'createDelete', 'createSeq', 'read', 'children', 'mixed', 'open', 'fanout', 'push', 'sessions', 'idle', 'failover', 'scale'];
const ROW_OF_KEY: Record<string, string> = { setData: 'write', createDelete: 'createDelete', createSeq: 'createSeq', getData: 'read', getChildren: 'children', mixed: 'mixed' };
/** Open-loop rows run at this share of ZooKeeper's closed-loop maximum. */
const OPEN_LOOP_SHARE = 0.7;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    full: { type: 'boolean', default: false },
    only: { type: 'string' },
    rows: { type: 'string' },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    runs: { type: 'string' },
    znodes: { type: 'string' },
    watchers: { type: 'string' },
    sessions: { type: 'string' },
    'idle-sessions': { type: 'string' },
    failovers: { type: 'string' },
    out: { type: 'string' },
    /** Open-loop rates (ops/s) instead of 70% of a closed-loop maximum: to compare one system before/after a change. */
    'write-rate': { type: 'string' },
    'read-rate': { type: 'string' },
    docs: { type: 'string' },
    'no-docs': { type: 'boolean', default: false },
    /** Re-render the table and docs from a results JSON written earlier (no servers started). */
    render: { type: 'string' },
  },
});

const mode = args.quick ? 'quick' : args.full ? 'full' : 'default';
const num = (v: string | undefined, dflt: number): number => (v === undefined ? dflt : Number(v));
const base = {
  quick: { seconds: 1, warmupSeconds: 1, runs: 1, watchers: 100, fanoutWrites: 3, sessions: 100, idleSessions: 150, idleSeconds: 1, znodes: 2_000, failoverTrials: 1 },
  default: { seconds: 5, warmupSeconds: 30, runs: 3, watchers: 1_000, fanoutWrites: 10, sessions: 1_000, idleSessions: 3_000, idleSeconds: 5, znodes: 100_000, failoverTrials: 3 },
  full: { seconds: 10, warmupSeconds: 30, runs: 5, watchers: 1_000, fanoutWrites: 20, sessions: 1_000, idleSessions: 10_000, idleSeconds: 10, znodes: 1_000_000, failoverTrials: 20 },
}[mode];
const settings: BenchSettings = {
  ...base,
  quick: mode === 'quick',
  seconds: num(args.seconds, base.seconds),
  warmupSeconds: num(args.warmup, base.warmupSeconds),
  runs: num(args.runs, base.runs),
  znodes: num(args.znodes, base.znodes),
  watchers: num(args.watchers, base.watchers),
  sessions: num(args.sessions, base.sessions),
  idleSessions: num(args['idle-sessions'], base.idleSessions),
  failoverTrials: num(args.failovers, base.failoverTrials),
  timing: { tickTime: 2000, initLimit: 10, syncLimit: 5 },
  sessionTimeoutMs: 30_000,
};
const rows = new Set(args.rows ? args.rows.split(',') : ALL_ROWS);
for (const r of rows) if (!ALL_ROWS.includes(r)) throw new Error(`unknown row ${r}; rows: ${ALL_ROWS.join(',')}`);

const log = (msg: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const results = new Results();

let running: BenchSystem | null = null;
process.on('SIGINT', () => {
  log('interrupted: stopping servers');
  void (running?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
});

async function withSystem<T>(name: SystemName, body: (sys: BenchSystem) => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const sys = await startSystem(name, settings.timing, rows.has('scale') ? settings.znodes : 0);
  running = sys;
  await sys.waitForLeader(120_000);
  log(`${name}: ensemble up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  try {
    return await body(sys);
  } finally {
    await sys.stop();
    running = null;
  }
}

/** Runs one row, keeping the benchmark going when it fails (the failure is noted under the table). */
async function attempt(name: SystemName, row: string, body: () => Promise<Measurement[]>): Promise<void> {
  try {
    const ms = await body();
    results.add(name, ms);
    log(`${name}: ${ms.map((m) => `${m.metric.includes(': ') ? m.metric.slice(m.metric.lastIndexOf(': ') + 2) : m.metric} ${m.value.toFixed(m.unit === 'ms' ? 2 : 0)} ${m.unit}`).join(', ')}  [${row}]`);
  } catch (e) {
    const msg = `${name}: ${row} failed: ${(e as Error).message.split('\n')[0]}`;
    results.notes.push(msg);
    log(msg);
  }
}

async function benchSystem(name: SystemName): Promise<void> {
  await withSystem(name, async (sys) => {
    const clients = await openSessions(sys, 3, settings.sessionTimeoutMs);
    try {
      await prepare(clients[0]!);
      log(`${name}: warming up ${settings.warmupSeconds} s`);
      await warmUp(clients, settings.warmupSeconds);
      for (const row of THROUGHPUT_ROWS) {
        if (!rows.has(ROW_OF_KEY[row.key.split('.')[0]!]!)) continue;
        for (let r = 0; r < settings.runs; r++) await attempt(name, row.label, () => throughputRow(clients, row, settings.seconds));
      }
      if (rows.has('open')) {
        // ZooKeeper runs first, so its maximum sets the rate for both; without it, our own maximum does.
        const reference: SystemName = results.median('setData.256.ops', 'zookeeper') > 0 ? 'zookeeper' : 'ours';
        const rateOf = (given: string | undefined, key: string) => (given ? Number(given) : results.median(key, reference) * OPEN_LOOP_SHARE);
        const writeRate = rateOf(args['write-rate'], 'setData.256.ops');
        const readRate = rateOf(args['read-rate'], 'getData.64.ops');
        for (const [kind, rate] of [['setData', writeRate], ['getData', readRate]] as const) {
          if (!(rate > 0)) {
            results.notes.push(`${name}: open-loop ${kind} skipped (no closed-loop maximum to take 70% of; run the write and read rows too, or give --write-rate/--read-rate)`);
            continue;
          }
          for (let r = 0; r < settings.runs; r++) await attempt(name, `open loop ${kind}`, () => openLoopRow(clients, kind, rate, settings.seconds));
        }
      }
    } finally {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    }
    if (rows.has('fanout')) for (let r = 0; r < settings.runs; r++) await attempt(name, 'watch fan-out', () => fanOut(sys, settings));
    if (rows.has('push')) for (let r = 0; r < settings.runs; r++) await attempt(name, 'SDK push', () => sdkPush(sys, settings));
    if (rows.has('sessions')) for (let r = 0; r < settings.runs; r++) await attempt(name, 'sessions open/close', () => sessionChurn(sys, settings));
    if (rows.has('idle')) await attempt(name, 'idle sessions', () => idleSessions(sys, settings));
    if (rows.has('failover')) {
      await attempt(name, 'failover', async () => {
        const f = await failover(sys, settings);
        const median = f.samples.map((ms) => ({ key: 'failover.ms', metric: `failover after kill -9 of the leader, under write load (${settings.failoverTrials} trials)`, unit: 'ms', better: 'lower' as const, value: ms }));
        return [...median, ...f.rows];
      });
    }
    // Last: it ends with every node killed and restarted. The znodes of the other rows (~1,300 plus the sequential
    // creates) stay, which the per-znode figures (growth / count) do not see and the restart time barely does.
    if (rows.has('scale')) {
      log(`${name}: scale rows with ${settings.znodes} znodes`);
      await attempt(name, 'scale', () => scale(sys, settings));
    }
  });
}

async function rerender(file: string): Promise<void> {
  const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { date: string; machine: Machine; settings: { mode: string } & Record<string, unknown>; rows: Row[]; notes: string[] };
  results.rows.push(...saved.rows);
  results.notes.push(...saved.notes);
  const table = renderTable(results);
  process.stdout.write(`${table}\n`);
  const docsFile = args['no-docs'] ? null : args.docs ?? path.join(REPO, 'docs/BENCHMARKS.md');
  if (docsFile) {
    writeDocs(docsFile, docsSection({ table, machine: saved.machine, mode: saved.settings.mode, settings: saved.settings, resultsFile: path.relative(REPO, path.resolve(file)), notes: saved.notes, date: saved.date.slice(0, 16).replace('T', ' ') + ' UTC' }));
    log(`updated ${path.relative(process.cwd(), docsFile)}`);
  }
}

async function main(): Promise<void> {
  if (args.render) return rerender(args.render);
  const machine = describeMachine();
  const date = new Date().toISOString();
  const wanted: SystemName[] = args.only ? [args.only as SystemName] : ['zookeeper', 'ours'];
  if (!wanted.every((w) => w === 'ours' || w === 'zookeeper')) throw new Error('--only takes ours or zookeeper');
  const why = zookeeperUnavailable();
  if (why && wanted.includes('zookeeper')) {
    results.notes.push(`Apache ZooKeeper skipped: ${why}`);
    log(`skipping Apache ZooKeeper: ${why}`);
  }
  log(`mode ${mode}: ${JSON.stringify({ ...settings, timing: undefined })}`);
  for (const name of wanted) {
    if (name === 'zookeeper' && why) continue;
    await benchSystem(name);
  }
  machine.loadAverageAtEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);

  const table = renderTable(results);
  process.stdout.write(`\n${table}\n`);
  for (const n of results.notes) process.stdout.write(`note: ${n}\n`);

  const outDir = args.out ?? path.join(REPO, 'bench/results');
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${date.slice(0, 10)}${mode === 'default' ? '' : `-${mode}`}.json`);
  const settingsOut = { mode, ...settings, rows: [...rows] };
  fs.writeFileSync(file, JSON.stringify({ date, machine, settings: settingsOut, rows: results.rows, notes: results.notes, table }, null, 2) + '\n');
  log(`wrote ${path.relative(process.cwd(), file)}`);

  const docsFile = args['no-docs'] ? null : args.docs ?? (mode === 'quick' ? null : path.join(REPO, 'docs/BENCHMARKS.md'));
  if (docsFile) {
    const notes = [...results.notes];
    writeDocs(docsFile, docsSection({ table, machine, mode, settings: { ...settings, timing: settings.timing }, resultsFile: path.relative(REPO, file), notes, date: date.slice(0, 16).replace('T', ' ') + ' UTC' }));
    log(`updated ${path.relative(process.cwd(), docsFile)}`);
  }
}

main().then(
  () => process.exit(0),
  async (e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    await running?.stop().catch(() => undefined);
    process.exit(1);
  },
);
