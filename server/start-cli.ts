// `npm start` (and `npm run dev`): the whole product on one machine — the database brought up to date, the first
// admin, the three-node ensemble (unless ZK_CONNECT names one), the audit recorder, and the admin on
// http://127.0.0.1:3000 (built first when the build is missing or older than the sources). Ctrl-C stops it all.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from './db.ts';
import { ensureInitialAdmin } from './auth/users.ts';
import { DEFAULT_ZK_CONNECT } from './zk.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dev = process.argv.includes('--dev');
const port = Number(process.env.PORT ?? 3000);
const host = '127.0.0.1';
const children = new Map<string, ChildProcess>();
let stopping = false;

function say(line: string): void {
  console.log(`[start] ${line}`);
}

function run(name: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (chunk: Buffer): string =>
    chunk
      .toString()
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => `[${name}] ${l}\n`)
      .join('');
  child.stdout!.on('data', (c: Buffer) => process.stdout.write(prefix(c)));
  child.stderr!.on('data', (c: Buffer) => process.stderr.write(prefix(c)));
  children.set(name, child);
  child.once('exit', (code, signal) => {
    children.delete(name);
    if (stopping) return;
    say(`${name} exited (${signal ?? code}); stopping everything`);
    void stopAll(1);
  });
  return child;
}

async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const waiting = [...children.values()].map((c) => new Promise((r) => c.once('exit', r)));
  for (const c of children.values()) c.kill('SIGTERM');
  const force = setTimeout(() => {
    for (const c of children.values()) c.kill('SIGKILL');
  }, 10_000);
  await Promise.all(waiting);
  clearTimeout(force);
  process.exit(code);
}

function srvr(hostPort: string): Promise<string> {
  const [h, p] = hostPort.split(':');
  return new Promise((resolve) => {
    const s = net.connect({ host: h, port: Number(p) }, () => s.write('srvr'));
    let out = '';
    s.on('data', (d) => (out += d.toString()));
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(''));
    s.setTimeout(2000, () => s.destroy());
  });
}

async function waitForLeader(connect: string, timeoutMs: number): Promise<void> {
  const hosts = connect.split('/')[0]!.split(',');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stopping) {
    const modes = await Promise.all(hosts.map(srvr));
    if (modes.some((m) => /Mode: (leader|standalone)/.test(m))) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`no ZooKeeper leader at ${connect} after ${timeoutMs / 1000} s`);
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** The admin is built when there is no build, or a source it compiles is newer than the build. */
function buildIfNeeded(env: NodeJS.ProcessEnv): void {
  const buildId = path.join(ROOT, '.next', 'BUILD_ID');
  const builtAt = fs.existsSync(buildId) ? fs.statSync(buildId).mtimeMs : 0;
  const sources = Math.max(...['app', 'server', 'sdk', 'ensemble/client', 'ensemble/jute'].map((d) => newestMtime(path.join(ROOT, d))));
  if (builtAt > sources) return;
  say('building the admin (next build; a few minutes on a small machine)');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/next/dist/bin/next'), 'build'], { cwd: ROOT, env, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('next build failed');
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

const db = await openDatabase();
say('database is up to date');
const admin = await ensureInitialAdmin(db);
if (admin.generatedPassword !== undefined) say(`created user admin; password (shown once): ${admin.generatedPassword}`);
else if (admin.created) say('created user admin with ADMIN_PASSWORD');
await db.$disconnect();

const zkConnect = process.env.ZK_CONNECT?.trim() || DEFAULT_ZK_CONNECT;
const env: NodeJS.ProcessEnv = {
  ...process.env,
  ZK_CONNECT: zkConnect,
  NEXTAUTH_URL: process.env.NEXTAUTH_URL ?? `http://${host}:${port}`,
  NEXT_TELEMETRY_DISABLED: '1',
};
if (!process.env.ZK_CONNECT) {
  run('ensemble', ['--import', 'tsx', path.join(ROOT, 'ensemble/cli/ensemble.ts')], env);
} else {
  say(`using the ZooKeeper ensemble at ${zkConnect}`);
}
await waitForLeader(zkConnect, 60_000);
say(`ensemble ready at ${zkConnect}`);
run('recorder', ['--import', 'tsx', path.join(ROOT, 'server/recorder-cli.ts')], env);
const next = path.join(ROOT, 'node_modules/next/dist/bin/next');
if (dev) {
  run('admin', [next, 'dev', '-H', host, '-p', String(port)], env);
} else {
  buildIfNeeded(env);
  run('admin', [next, 'start', '-H', host, '-p', String(port)], env);
}
say(`admin on http://${host}:${port} — Ctrl-C stops everything`);
