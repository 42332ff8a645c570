/**
 * `npm run ensemble`: the supervisor as a real process with three real node processes. Tolerant of the
 * Mode text (replication may or may not exist yet): asserts that srvr answers and which processes run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/our-server.ts';
import { fourLetterWord } from '../helpers/ports.ts';

const CLI = path.join(REPO_ROOT, 'ensemble/cli/ensemble.ts');

/** A base port B such that B..B+2, B+707..B+709 and B+1707..B+1709 are all free on 127.0.0.1. */
async function freeBasePort(): Promise<number> {
  const canBind = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    const ports = [0, 1, 2].flatMap((i) => [base + i, base + 707 + i, base + 1707 + i]);
    if ((await Promise.all(ports.map(canBind))).every(Boolean)) return base;
  }
  throw new Error('no free base port');
}

interface Supervisor {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.splice(0).reverse()) fn(); // processes before their folders
});

/** The supervisor's output and the tail of each node's log, for a failure message. */
function diagnostics(sup: Supervisor, dir: string): () => string {
  return () => {
    const tail = (i: number) => {
      try {
        return fs.readFileSync(path.join(dir, `node${i}`, 'server.log'), 'utf8').split('\n').slice(-40).join('\n');
      } catch {
        return '(no log)';
      }
    };
    return [sup.output(), ...[1, 2, 3].map((i) => `--- node ${i} log (tail) ---\n${tail(i)}`)].join('\n');
  };
}

function startSupervisor(dir: string, base: number): Supervisor {
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, '--base-port', String(base), '--dir', dir], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  cleanup.push(() => {
    proc.kill('SIGKILL');
    for (const i of [1, 2, 3]) {
      const pid = readPid(path.join(dir, `node${i}`, 'server.pid'));
      if (pid !== null && alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
  return { proc, output: () => out, exited };
}

function runCli(...args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

function readPid(file: string): number | null {
  try {
    return Number(fs.readFileSync(file, 'utf8').trim()) || null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls probe until truthy; on timeout the error carries `context()` (the supervisor's output) to say why. */
async function waitFor<T>(what: string, probe: () => T | Promise<T>, context: () => string = () => '', timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n--- supervisor output and node logs ---\n${context()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const modeOf = async (port: number) => /^Mode: \S+/m.exec(await fourLetterWord(port, 'srvr').catch(() => ''))?.[0] ?? null;
const nodePids = (dir: string) => [1, 2, 3].map((i) => readPid(path.join(dir, `node${i}`, 'server.pid')));

describe('npm run ensemble', () => {
  it('starts three nodes, reports status, restarts a killed node, and stops', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-cli-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const base = await freeBasePort();
    const sup = startSupervisor(dir, base);
    const ports = [base, base + 1, base + 2];
    for (const p of ports) await waitFor(`srvr on ${p}`, () => modeOf(p), diagnostics(sup, dir));
    await waitFor('roles printed', () => [1, 2, 3].every((i) => new RegExp(`node ${i} \\(127\\.0\\.0\\.1:${base + i - 1}\\): Mode: \\S+`).test(sup.output())));

    // Files: zoo.cfg with the three server lines, myid, the 0600 secret it names.
    const secretFile = path.join(dir, 'peer.secret');
    expect(fs.statSync(secretFile).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(secretFile, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    for (const i of [1, 2, 3]) {
      const cfg = fs.readFileSync(path.join(dir, `node${i}`, 'zoo.cfg'), 'utf8');
      expect(cfg).toContain(`clientPort=${base + i - 1}\n`);
      expect(cfg).toContain(`quorum.auth.secretFile=${secretFile}\n`);
      for (const j of [0, 1, 2]) expect(cfg).toContain(`server.${j + 1}=127.0.0.1:${base + 707 + j}:${base + 1707 + j}\n`);
      expect(fs.readFileSync(path.join(dir, `node${i}`, 'myid'), 'utf8').trim()).toBe(String(i));
    }
    const pids = nodePids(dir);
    expect(pids.every((p) => p !== null && alive(p))).toBe(true);
    expect(new Set(pids).size).toBe(3);

    // status, through the npm script.
    const status = spawnSync('npm', ['run', '-s', 'ensemble', '--', 'status', '--dir', dir], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(status.status).toBe(0);
    expect(status.stdout.trim().split('\n')).toEqual(
      expect.arrayContaining([0, 1, 2].map((i) => expect.stringMatching(new RegExp(`^node ${i + 1} \\(127\\.0\\.0\\.1:${base + i}\\): Mode: \\S+$`)))),
    );

    // kill -9 node 2: it comes back with a new pid; the others are untouched.
    process.kill(pids[1]!, 'SIGKILL');
    const newPid = await waitFor('node 2 restarted', () => {
      const p = nodePids(dir)[1];
      return p !== null && p !== pids[1] && alive(p!) ? p : null;
    });
    await waitFor('node 2 answers srvr again', () => modeOf(base + 1), diagnostics(sup, dir));
    expect(sup.output()).toMatch(/node 2 killed by SIGKILL; restarting in \d+ ms/);
    expect(nodePids(dir)).toEqual([pids[0], newPid, pids[2]]);
    expect(alive(pids[1]!)).toBe(false);

    // A second supervisor on the same folder refuses to start.
    const again = runCli('--base-port', String(base), '--dir', dir);
    expect(again.code).toBe(1);
    expect(again.out).toMatch(/already running/);

    // stop: supervisor and every node gone, pid files removed.
    const stop = runCli('stop', '--dir', dir);
    expect(stop.code).toBe(0);
    expect(stop.out).toMatch(/stopped/);
    expect(await sup.exited).toBe(0);
    for (const p of [pids[0]!, newPid, pids[2]!]) expect(alive(p)).toBe(false);
    expect(nodePids(dir)).toEqual([null, null, null]);
    expect(fs.existsSync(path.join(dir, 'ensemble.pid'))).toBe(false);
    const afterStop = sup.output().slice(sup.output().indexOf('SIGTERM received'));
    expect(afterStop).not.toMatch(/restarting/); // a deliberate stop is not a crash
    expect(afterStop.match(/node \d stopped/g)?.length).toBe(3);

    const after = runCli('status', '--dir', dir);
    expect(after.code).toBe(1);
    expect(after.out.trim().split('\n')).toEqual([0, 1, 2].map((i) => `node ${i + 1} (127.0.0.1:${base + i}): not running`));
  });

  it('SIGTERM to the supervisor stops every node without restarts, and the secret survives a restart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-cli-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const base = await freeBasePort();
    const first = startSupervisor(dir, base);
    await waitFor('three pids', () => nodePids(dir).every((p) => p !== null));
    const secret = fs.readFileSync(path.join(dir, 'peer.secret'), 'utf8');
    const pids = nodePids(dir) as number[];
    await waitFor('srvr', () => modeOf(base + 2), diagnostics(first, dir));
    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    for (const p of pids) expect(alive(p)).toBe(false);
    expect(first.output()).not.toMatch(/restarting/);
    expect(first.output().match(/node \d stopped/g)?.length).toBe(3);

    const second = startSupervisor(dir, base);
    await waitFor('srvr after restart', () => modeOf(base), diagnostics(second, dir));
    expect(fs.readFileSync(path.join(dir, 'peer.secret'), 'utf8')).toBe(secret);
    expect(second.output()).not.toMatch(/generated the peer secret/);
    second.proc.kill('SIGINT');
    expect(await second.exited).toBe(0);
  });

  it('rejects bad arguments', () => {
    const r = runCli('--base-port', '65000');
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/--base-port must be an integer/);
    const u = runCli('frobnicate');
    expect(u.code).toBe(2);
    expect(u.out).toMatch(/unknown argument frobnicate[\s\S]*usage/);
  });
});
