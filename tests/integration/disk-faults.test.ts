/**
 * Disk faults injected into a real server process through the storage shim (ZK_TEST_FAULTS, test-only):
 *  - a failed fdatasync stops the node at once (clear log line, exit code 3) and is never retried;
 *  - a full disk (ENOSPC) stops the node with a clear "disk full" error; restarted with space, the log recovers
 *    with every acknowledged write and takes new ones;
 *  - SimulatedCrashFileSystem loses unsynced bytes with the process: after kill -9 every acknowledged write is
 *    still there (the reply really waits for fdatasync) — and with the sync switched off (forceSync=no) the same
 *    check fails, which shows the test can see a missing sync.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../helpers/apache-zk.ts';
import { startOurServer } from '../helpers/our-server.ts';
import { freePort } from '../helpers/ports.ts';
import { applyOp, describeDiff, encodeOp, readSubtree, writeUntilBroken, type TreeModel, type WriteOp, type WriteRun } from './durability-helpers.ts';
import { RawClient } from './server-raw-client.ts';

const ROOT = '/disk';
const dirs: string[] = [];
const servers: RunningServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop({ keepDir: true })));
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function start(dir: string, port: number, faults: string | null, config: Record<string, string> = {}): Promise<RunningServer> {
  // Small preallocation steps and snapshots: log growth, rolls and snapshot syncs all happen inside the test.
  const s = await startOurServer({ dir, port, config: { preAllocSize: '16', snapCount: '300', ...config }, env: faults ? { ZK_TEST_FAULTS: faults } : {} });
  servers.push(s);
  return s;
}

function creates(): (m: TreeModel) => WriteOp {
  let n = 0;
  return () => ({ type: 'create', path: `${ROOT}/n${String(n++).padStart(6, '0')}`, data: `v${n}-${'x'.repeat(100)}` });
}

/** Creates the root over a fault-free start, so faults only hit the writes under test. */
async function prepare(): Promise<{ dir: string; port: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'disk-faults-'));
  dirs.push(dir);
  const port = await freePort();
  const s = await start(dir, port, null);
  const c = await RawClient.open(port);
  const { type, body } = encodeOp({ type: 'create', path: ROOT, data: '' });
  expect((await c.call(type, body)).header.err).toBe(0);
  c.close();
  await s.stop({ keepDir: true });
  servers.splice(servers.indexOf(s), 1);
  return { dir, port };
}

async function writeUntilDead(port: number): Promise<WriteRun> {
  const client = await RawClient.open(port, { timeout: 30_000 });
  expect(client.connect?.timeOut).toBeGreaterThan(0);
  const run = await writeUntilBroken(client, new Map(), creates(), { window: 32 });
  client.close();
  return run;
}

/** Every answered create is in the recovered tree; what else is there is a prefix of the unanswered ones. */
function expectAcknowledgedKept(run: WriteRun, actual: TreeModel): void {
  const answered: TreeModel = new Map();
  for (const op of run.answered) applyOp(answered, op);
  const missing = [...answered.keys()].filter((p) => !actual.has(p));
  expect(missing, describeDiff(actual, answered)).toEqual([]);
  const sentPaths = run.sent.map((o) => o.path);
  for (const p of actual.keys()) expect(sentPaths).toContain(p);
}

describe('disk faults through the storage shim', () => {
  it('a failed fdatasync stops the node with a clear message and exit code 3, never retrying; every acked write survives', { timeout: 60_000 }, async () => {
    const { dir, port } = await prepare();
    const server = await start(dir, port, 'fsync-eio-after:40');
    const run = await writeUntilDead(port);
    await server.exited();
    expect(server.proc.exitCode).toBe(3);
    const out = server.output();
    expect(out).toMatch(/test-only disk fault injection is active/);
    expect(out).toMatch(/FATAL: transaction log write failed, storage is unusable: EIO: injected failure, datasync .*; stopping/);
    // One failure, one stop: the process is gone before anything could sync again (the in-process retry check is
    // durability-fsync-failure.test.ts).
    expect(out.match(/; stopping/g)).toHaveLength(1);
    // Group commit: 40 syncs acknowledged at least 40 writes, and nothing after the failed sync was acknowledged.
    expect(run.answered.length).toBeGreaterThanOrEqual(40);
    expect(run.failures).toEqual([]);
    expect(run.sent.length).toBeGreaterThan(run.answered.length);

    const healthy = await start(dir, port, null);
    expectAcknowledgedKept(run, await readSubtree(healthy.connectString, ROOT));
  });

  it('a full disk (ENOSPC) stops the node with a "disk full" error; after freeing space it recovers every acked write and writes again', { timeout: 60_000 }, async () => {
    const { dir, port } = await prepare();
    // A budget that runs out mid-preallocation or mid-batch (16 KiB steps): the log keeps a torn tail.
    const server = await start(dir, port, 'enospc-after-bytes:150000');
    const run = await writeUntilDead(port);
    await server.exited();
    expect(server.proc.exitCode).toBe(3);
    expect(server.output()).toMatch(/FATAL: transaction log write failed \(disk full: free space, then restart; the log recovers\), storage is unusable: ENOSPC/);
    expect(run.answered.length).toBeGreaterThan(100);
    expect(run.failures).toEqual([]);

    const healthy = await start(dir, port, null);
    const recovered = await readSubtree(healthy.connectString, ROOT);
    expectAcknowledgedKept(run, recovered);
    const c = await RawClient.open(port);
    const { type, body } = encodeOp({ type: 'create', path: `${ROOT}/after-space-freed`, data: 'ok' });
    expect((await c.call(type, body)).header.err).toBe(0);
    c.close();
    expect((await readSubtree(healthy.connectString, ROOT)).has(`${ROOT}/after-space-freed`)).toBe(true);
  });

  async function crashRun(config: Record<string, string>): Promise<{ run: WriteRun; recovered: TreeModel }> {
    const { dir, port } = await prepare();
    const server = await start(dir, port, 'crash-sim', config);
    const client = await RawClient.open(port, { timeout: 30_000 });
    let answeredAtKill = 0;
    const killer = setTimeout(() => server.kill('SIGKILL'), 1500);
    const run = await writeUntilBroken(client, new Map(), creates(), { window: 32, stop: () => false });
    clearTimeout(killer);
    answeredAtKill = run.answered.length;
    await server.exited();
    client.close();
    expect(answeredAtKill).toBeGreaterThan(50);
    const healthy = await start(dir, port, null);
    return { run, recovered: await readSubtree(healthy.connectString, ROOT) };
  }

  it('simulated crash: unsynced bytes are dropped, and every acknowledged write survives kill -9', { timeout: 60_000 }, async () => {
    const { run, recovered } = await crashRun({});
    expect(run.failures).toEqual([]);
    expectAcknowledgedKept(run, recovered);
  });

  it('control: with fdatasync switched off (forceSync=no) the same crash loses acknowledged writes', { timeout: 60_000 }, async () => {
    const { run, recovered } = await crashRun({ forceSync: 'no' });
    const lost = run.answered.filter((op) => !recovered.has(op.path));
    expect(lost.length).toBeGreaterThan(0);
  });
});
