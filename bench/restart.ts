/**
 * Focused restart/recovery driver (issue 8, scale): loads N znodes of 100 B (plus `--updates` setData txns that stay in
 * the log after the last snapshot), kills -9 every node, starts them again on the same data and times, from the
 * moment every process is gone:
 *   ports    every client port accepts TCP connections
 *   serving  every node answers `srvr` with a Mode (ensemble: a leader and all followers)
 *   read     a fresh session reads the last znode
 *
 *   npx tsx bench/restart.ts [--znodes 100000] [--updates 0] [--system ours,zookeeper] [--topology standalone,ensemble]
 *                            [--restarts 1] [--cpu-prof DIR]
 *
 * `--cpu-prof DIR` starts our restarted nodes with `node --cpu-prof --cpu-prof-dir DIR` (profile written on SIGTERM).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ZkClient } from '../ensemble/client/index.ts';
import { apacheZkJavaArgs, startApacheZk, trackProcess, type RunningServer } from '../tests/helpers/apache-zk.ts';
import { serverNodeArgs } from '../ensemble/cli/server-bundle.ts';
import { REPO_ROOT, startOurServer } from '../tests/helpers/our-server.ts';
import { fourLetterWord, waitForPort } from '../tests/helpers/ports.ts';
import { startSystem, zooKeeperHeap, type SystemName } from './systems.ts';

const { values: args } = parseArgs({
  options: {
    znodes: { type: 'string', default: '100000' },
    updates: { type: 'string', default: '0' },
    system: { type: 'string', default: 'ours,zookeeper' },
    topology: { type: 'string', default: 'standalone,ensemble' },
    restarts: { type: 'string', default: '1' },
    'cpu-prof': { type: 'string' },
  },
});

const ZNODES = Number(args.znodes);
const UPDATES = Number(args.updates);
const RESTARTS = Number(args.restarts);
const VALUE = Buffer.alloc(100, 0x62);
const PER_PARENT = 1000;
const IN_FLIGHT = 512;
const SESSION_TIMEOUT_MS = 30_000;
const lastPath = (): string => {
  const i = ZNODES - 1;
  return `/scale/p${Math.floor(i / PER_PARENT)}/n${i % PER_PARENT}`;
};

interface Restartable {
  addresses: string[];
  killAll(): Promise<void>;
  /** Starts every node again; each promise resolves when that node's client port accepts. */
  startAll(): Promise<void>[];
  /** Resolves once the whole system serves (standalone: Mode; ensemble: a leader and every follower). */
  serving(): Promise<void>;
  stop(): Promise<void>;
}

function log(msg: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${msg}\n`);
}

async function pipelined(count: number, make: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, count) }, async () => {
    while (next < count) await make(next++);
  }));
}

async function load(connectStrings: string[]): Promise<void> {
  const clients = await Promise.all(connectStrings.map((c) => ZkClient.connect(c, { sessionTimeout: SESSION_TIMEOUT_MS })));
  const t0 = performance.now();
  const pick = (i: number): ZkClient => clients[i % clients.length]!;
  await clients[0]!.create('/scale', null);
  await pipelined(Math.ceil(ZNODES / PER_PARENT), (i) => pick(i).create(`/scale/p${i}`, null));
  await pipelined(ZNODES, (i) => pick(i).create(`/scale/p${Math.floor(i / PER_PARENT)}/n${i % PER_PARENT}`, VALUE));
  await pipelined(UPDATES, (i) => {
    const n = i % ZNODES;
    return pick(i).setData(`/scale/p${Math.floor(n / PER_PARENT)}/n${n % PER_PARENT}`, VALUE);
  });
  log(`loaded ${ZNODES} znodes + ${UPDATES} updates in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
}

async function modeOf(address: string): Promise<string> {
  const out = await fourLetterWord(Number(address.split(':')[1]), 'srvr', '127.0.0.1', 2000).catch(() => '');
  return /Mode: (\w+)/.exec(out)?.[1] ?? 'not serving';
}

async function pollUntil(check: () => Promise<boolean>, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Built before the clock starts, as the supervisor does before it spawns nodes. */
const SERVER_ARGS = await serverNodeArgs();

function ourNodeArgs(cfgFile: string): string[] {
  const prof = args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(args['cpu-prof'])] : [];
  return [...prof, ...SERVER_ARGS, cfgFile];
}

async function standalone(system: SystemName): Promise<Restartable> {
  const heap = zooKeeperHeap(ZNODES, '512m');
  let server: RunningServer = system === 'ours' ? await startOurServer() : await startApacheZk({ heap });
  const { dir, port } = server;
  const cfgFile = path.join(dir, 'zoo.cfg');
  const address = `127.0.0.1:${port}`;
  return {
    addresses: [address],
    async killAll() {
      server.kill('SIGKILL');
      await server.exited();
    },
    startAll() {
      const proc: ChildProcess =
        system === 'ours'
          ? spawn(process.execPath, ourNodeArgs(cfgFile), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
          : spawn('java', apacheZkJavaArgs(cfgFile, { heap }), { stdio: ['ignore', 'pipe', 'pipe'] });
      server = trackProcess(proc, dir, '127.0.0.1', port);
      return [waitForPort(port, '127.0.0.1', 600_000)];
    },
    serving: () => pollUntil(async () => (await modeOf(address)) === 'standalone'),
    async stop() {
      await server.stop();
    },
  };
}

async function ensemble(system: SystemName): Promise<Restartable> {
  const sys = await startSystem(system, { tickTime: 2000, initLimit: 10, syncLimit: 5 }, ZNODES);
  await sys.waitForLeader(120_000);
  return {
    addresses: sys.nodes.map((n) => n.address),
    async killAll() {
      for (const n of sys.nodes) await n.kill();
    },
    startAll: () => sys.nodes.map((n) => n.restart()),
    serving: async () => void (await sys.waitForLeader(600_000)),
    stop: () => sys.stop(),
  };
}

async function firstRead(addresses: string[]): Promise<void> {
  for (;;) {
    try {
      const c = await ZkClient.connect(addresses.join(','), { sessionTimeout: SESSION_TIMEOUT_MS });
      try {
        await c.getData(lastPath());
        return;
      } finally {
        await c.close().catch(() => undefined);
      }
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

async function measure(system: SystemName, topology: string): Promise<void> {
  const sys = topology === 'standalone' ? await standalone(system) : await ensemble(system);
  try {
    await load(sys.addresses);
    for (let run = 0; run < RESTARTS; run++) {
      await sys.killAll();
      const t0 = performance.now();
      const ms = (): string => (performance.now() - t0).toFixed(0);
      const ports = sys.startAll();
      const times: Record<string, string> = {};
      const perNode: string[] = sys.addresses.map(() => '');
      await Promise.all([
        ...sys.addresses.map(async (a, i) => {
          let mode = 'not serving';
          await pollUntil(async () => (mode = await modeOf(a)) !== 'not serving');
          perNode[i] = `${mode} ${ms()}`;
        }),
        Promise.all(ports).then(() => (times.ports = ms())),
        sys.serving().then(() => (times.serving = ms())),
        firstRead(sys.addresses).then(() => (times.read = ms())),
      ]);
      const row = `${system.padEnd(9)} ${topology.padEnd(10)} znodes=${ZNODES} updates=${UPDATES}  ports ${times.ports} ms  serving ${times.serving} ms  read ${times.read} ms  (${perNode.join(', ')})`;
      process.stdout.write(`${row}\n`);
    }
  } finally {
    await sys.stop();
  }
}

for (const topology of args.topology.split(',')) {
  for (const system of args.system.split(',') as SystemName[]) {
    await measure(system, topology);
  }
}
if (args['cpu-prof']) fs.mkdirSync(args['cpu-prof'], { recursive: true });
process.exit(0);
