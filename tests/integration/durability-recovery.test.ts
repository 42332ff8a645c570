/**
 * Recovery from damaged or pruned data directories, with real processes and real files: a torn log tail (cut at
 * random offsets), a corrupt newest snapshot, a corrupt record in the middle of the log, autopurge, and sessions
 * that outlive a restart.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CreateRequestCodec, JuteReader, OpCode, PathWatchRequestCodec, StatCodec } from '../../ensemble/jute/index.ts';
import type { RunningServer } from '../helpers/apache-zk.ts';
import { startOurServer } from '../helpers/our-server.ts';
import {
  applyOp,
  dataFiles,
  describeDiff,
  encodeOp,
  OPEN_ACL,
  readSubtree,
  sameTree,
  seededRandom,
  writeUntilBroken,
  type TreeModel,
  type WriteOp,
} from './durability-helpers.ts';
import { RawClient } from './server-raw-client.ts';

const seed = Number(process.env.RECOVERY_SEED ?? Math.floor(Math.random() * 2 ** 31));
const dirs: string[] = [];
const servers: RunningServer[] = [];

afterAll(async () => {
  for (const s of servers) await s.stop({ keepDir: true });
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'durability-recovery-'));
  dirs.push(d);
  return d;
}

async function start(dir: string, config: Record<string, string> = {}, tickTime?: number): Promise<RunningServer> {
  const s = await startOurServer({ dir, config: { preAllocSize: '64', ...config }, tickTime });
  servers.push(s);
  return s;
}

/** Runs `count` ops one after another from a fresh root; returns the model after each op (index 0 = empty). */
async function writeSequence(port: number, root: string, count: number, rnd: () => number): Promise<{ ops: WriteOp[]; models: TreeModel[] }> {
  const c = await RawClient.open(port);
  const rootOp = encodeOp({ type: 'create', path: root, data: '' });
  expect((await c.call(rootOp.type, rootOp.body)).header.err).toBe(0);
  const model: TreeModel = new Map();
  const models: TreeModel[] = [new Map()];
  const ops: WriteOp[] = [];
  let n = 0;
  const run = await writeUntilBroken(
    c,
    new Map(),
    (m) => {
      const paths = [...m.keys()];
      if (paths.length < 5 || rnd() < 0.4) return { type: 'create', path: `${root}/n${n++}`, data: `d${n}` };
      const p = paths[Math.floor(rnd() * paths.length)]!;
      return { type: 'setData', path: p, data: `v${n++}`, version: m.get(p)!.version };
    },
    { window: 8, stop: () => n >= count },
  );
  c.close();
  expect(run.failures).toEqual([]);
  for (const op of run.answered) {
    applyOp(model, op);
    ops.push(op);
    models.push(new Map(model));
  }
  return { ops, models };
}

function copyDir(from: string): string {
  const to = tempDir();
  fs.cpSync(from, to, { recursive: true });
  return to;
}

/** End of the written part of a preallocated (zero-filled) log file. */
function writtenEnd(file: string): number {
  const buf = fs.readFileSync(file);
  let end = buf.length;
  while (end > 0 && buf[end - 1] === 0) end--;
  return end;
}

describe('durability: recovery', () => {
  it(`starts after a torn log tail and serves a prefix of the writes (seed ${seed})`, { timeout: 90_000 }, async () => {
    console.log(`recovery seed: ${seed} (replay with RECOVERY_SEED=${seed})`);
    const rnd = seededRandom(seed);
    const base = tempDir();
    const s = await start(base);
    const { models } = await writeSequence(s.port, '/torn', 150, rnd);
    await s.stop({ keepDir: true });
    const logs = dataFiles(path.join(base, 'data'), 'log.');
    expect(logs.length).toBeGreaterThan(0);

    const cuts: number[] = [];
    for (let i = 0; i < 4; i++) {
      const copy = copyDir(base);
      const logFile = path.join(copy, 'data', 'version-2', logs[logs.length - 1]!);
      const end = writtenEnd(logFile);
      const cut = 16 + Math.floor(rnd() * (end - 16));
      cuts.push(cut);
      fs.truncateSync(logFile, cut);
      const r = await start(copy);
      const actual = await readSubtree(r.connectString, '/torn').catch(() => new Map() as TreeModel);
      // The root itself may be cut away; then the tree holds none of /torn.
      const prefix = models.findIndex((m) => sameTree(actual, m));
      expect(prefix, `cut at ${cut}/${end}: ${describeDiff(actual, models[models.length - 1]!)}`).toBeGreaterThanOrEqual(0);
      expect(prefix).toBeLessThan(models.length - 1);
      // It serves and takes writes after the cut.
      const c = await RawClient.open(r.port);
      const op = encodeOp({ type: 'create', path: '/after-cut', data: 'x' });
      expect((await c.call(op.type, op.body)).header.err).toBe(0);
      c.close();
      await r.stop({ keepDir: true });
      const again = await start(copy);
      const c2 = await RawClient.open(again.port);
      const ex = await c2.call(OpCode.exists, (w) => PathWatchRequestCodec.write(w, { path: '/after-cut', watch: false }));
      expect(ex.header.err).toBe(0);
      c2.close();
      await again.stop({ keepDir: true });
    }
    console.log(`torn tail cuts: ${cuts.join(', ')}`);
  });

  it('falls back to the previous snapshot when the newest is corrupt', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const s = await start(dir, { snapCount: '20' });
    const { models } = await writeSequence(s.port, '/snap', 120, seededRandom(seed + 1));
    await s.stop({ keepDir: true });
    const snaps = dataFiles(path.join(dir, 'data'), 'snapshot.');
    expect(snaps.length).toBeGreaterThanOrEqual(2);
    const newest = path.join(dir, 'data', 'version-2', snaps[snaps.length - 1]!);
    const buf = fs.readFileSync(newest);
    buf.writeUInt8(buf.readUInt8(Math.floor(buf.length / 2)) ^ 0xff, Math.floor(buf.length / 2));
    fs.writeFileSync(newest, buf);

    const r = await start(dir, { snapCount: '100000' });
    const actual = await readSubtree(r.connectString, '/snap');
    expect(describeDiff(actual, models[models.length - 1]!)).toBe('');
    expect(r.output()).toContain(`skipping invalid snapshot ${newest}`);
    expect(r.output()).toContain(`recovered snapshot 0x${snaps[snaps.length - 2]!.slice('snapshot.'.length)}`);
    await r.stop({ keepDir: true });
  });

  it('refuses to start, with a clear message and a non-zero exit, on a corrupt record in the middle of the log', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const s = await start(dir);
    await writeSequence(s.port, '/mid', 40, seededRandom(seed + 2));
    await s.stop({ keepDir: true });
    const logs = dataFiles(path.join(dir, 'data'), 'log.');
    const logFile = path.join(dir, 'data', 'version-2', logs[0]!);
    const buf = fs.readFileSync(logFile);
    // The first record's payload (after the 16-byte file header and 16-byte record header).
    buf.writeUInt8(buf.readUInt8(36) ^ 0xff, 36);
    fs.writeFileSync(logFile, buf);
    const err = await start(dir).then(
      (r) => `started: ${r.output()}`,
      (e: Error) => e.message,
    );
    expect(err).toMatch(/server exited during start-up/);
    expect(err).toMatch(/FATAL: cannot recover/);
    expect(err).toMatch(/corrupt/i);
  });

  it('autopurge keeps snapRetainCount snapshots and the logs recovery needs', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    // Purge every ~0.4 s.
    const config = { snapCount: '20', 'autopurge.snapRetainCount': '3', 'ensemble.test.purgeIntervalHours': '0.0001' };
    const s = await start(dir, config);
    const { models } = await writeSequence(s.port, '/purge', 300, seededRandom(seed + 3));
    const snapDir = path.join(dir, 'data');
    const deadline = Date.now() + 10_000;
    while (dataFiles(snapDir, 'snapshot.').length > 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const snaps = dataFiles(snapDir, 'snapshot.');
    expect(snaps.length).toBe(3);
    // The oldest kept snapshot's successors are all in the remaining logs; older logs are gone.
    const logs = dataFiles(snapDir, 'log.');
    expect(logs.length).toBeLessThan(15);
    await s.stop({ keepDir: true });

    // Recovery from the oldest kept snapshot must still work: corrupt the two newer ones.
    for (const name of snaps.slice(1)) {
      const f = path.join(snapDir, 'version-2', name);
      fs.writeFileSync(f, Buffer.from('garbage'));
    }
    const r = await start(dir, { snapCount: '100000' });
    const actual = await readSubtree(r.connectString, '/purge');
    expect(describeDiff(actual, models[models.length - 1]!)).toBe('');
    await r.stop({ keepDir: true });
  });

  it('sessions survive a restart: the same id and password resume, ephemerals stay; others expire on a fresh deadline', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const tick = 500;
    const s = await start(dir, {}, tick);
    const keep = await RawClient.open(s.port, { timeout: 4000 });
    const lose = await RawClient.open(s.port, { timeout: 2000 });
    for (const [c, p] of [[keep, '/eph-keep'], [lose, '/eph-lose']] as const) {
      const r = await c.call(OpCode.create, (w) => CreateRequestCodec.write(w, { path: p, data: Buffer.from('e'), acl: OPEN_ACL, flags: 1 }));
      expect(r.header.err).toBe(0);
    }
    const keepId = keep.connect!.sessionId;
    const keepPw = keep.connect!.passwd;
    keep.close();
    lose.close();
    s.kill('SIGKILL');
    await s.exited();

    const r = await start(dir, {}, tick);
    const back = await RawClient.open(r.port, { timeout: 4000, sessionId: keepId, passwd: keepPw ?? undefined });
    expect(back.connect!.sessionId).toBe(keepId);
    expect(back.connect!.timeOut).toBe(4000);
    const exists = async (p: string) => {
      const x = await back.call(OpCode.exists, (w) => PathWatchRequestCodec.write(w, { path: p, watch: false }));
      return x.header.err === 0 ? StatCodec.read(new JuteReader(x.body)) : null;
    };
    expect((await exists('/eph-keep'))?.ephemeralOwner).toBe(keepId);
    expect(await exists('/eph-lose')).not.toBeNull();
    // The session that did not come back expires (restored sessions get a fresh deadline of their timeout).
    const deadline = Date.now() + 8000;
    while ((await exists('/eph-lose')) !== null && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 250));
    }
    expect(await exists('/eph-lose')).toBeNull();
    expect((await exists('/eph-keep'))?.ephemeralOwner).toBe(keepId);
    back.close();
    await r.stop({ keepDir: true });
  });
});
