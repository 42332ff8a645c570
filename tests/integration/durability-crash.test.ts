/**
 * Crash safety with real processes, real files and real fdatasync: a client writes as fast as the node answers
 * (pipelined creates, versioned setData, deletes) while the node is SIGKILLed at random moments. After each restart
 * on the same dataDir, the tree under the test's root must equal the model after every answered write plus some
 * prefix of the writes that were in flight at the kill (those may or may not have made it, in order).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../helpers/apache-zk.ts';
import { startOurServer } from '../helpers/our-server.ts';
import { freePort } from '../helpers/ports.ts';
import {
  applyOp,
  dataFiles,
  describeDiff,
  encodeOp,
  readSubtree,
  sameTree,
  seededRandom,
  writeUntilBroken,
  type TreeModel,
  type WriteOp,
  type WriteRun,
} from './durability-helpers.ts';
import { RawClient } from './server-raw-client.ts';

const ROUNDS = 20;
const ROOT = '/crash';
const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'durability-crash-'));
let server: RunningServer | null = null;

afterAll(async () => {
  await server?.stop({ keepDir: true });
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The state the recovered tree must match: answered ops applied, then 0..all of the in-flight ones, in order. */
function matchRecovered(confirmed: TreeModel, run: WriteRun, actual: TreeModel): { model: TreeModel; kept: number } | null {
  const model = new Map(confirmed);
  for (const op of run.answered) applyOp(model, op);
  const inFlight = run.sent.slice(run.answered.length);
  for (let kept = 0; ; kept++) {
    if (sameTree(actual, model)) return { model, kept };
    const op = inFlight[kept];
    if (!op) return null;
    applyOp(model, op);
  }
}

describe('durability: SIGKILL at random moments', () => {
  it(`keeps every answered write across ${ROUNDS} kills (seed ${seed})`, { timeout: 300_000 }, async () => {
    console.log(`crash seed: ${seed} (replay with CRASH_SEED=${seed})`);
    const random = seededRandom(seed);
    const port = await freePort();
    // Small snapCount: snapshots (and log rolls) happen many times per round, so kills land during them too.
    const config = { snapCount: '200', 'autopurge.purgeInterval': '0' };
    let confirmed: TreeModel = new Map();
    let previous: WriteRun | null = null;
    let counter = 0;
    let totalAnswered = 0;
    let totalUncertainKept = 0;

    const nextOp = (optimistic: TreeModel): WriteOp => {
      const paths = [...optimistic.keys()];
      const r = random();
      if (paths.length < 50 || r < 0.25) return { type: 'create', path: `${ROOT}/n${counter++}`, data: `c${counter}-${'x'.repeat(Math.floor(random() * 200))}` };
      const p = paths[Math.floor(random() * paths.length)]!;
      const node = optimistic.get(p)!;
      if (r < 0.33) return { type: 'delete', path: p, version: node.version };
      return { type: 'setData', path: p, data: `s${counter++}`, version: node.version };
    };

    for (let round = 0; round <= ROUNDS; round++) {
      server = await startOurServer({ dir, port, config });
      if (round === 0) {
        const c = await RawClient.open(port);
        const { type, body } = encodeOp({ type: 'create', path: ROOT, data: '' });
        expect((await c.call(type, body)).header.err).toBe(0);
        c.close();
      }
      const actual = await readSubtree(server.connectString, ROOT);
      if (previous) {
        const matched = matchRecovered(confirmed, previous, actual);
        if (!matched) {
          const answeredModel = new Map(confirmed);
          for (const op of previous.answered) applyOp(answeredModel, op);
          expect.fail(`round ${round}: recovered tree matches no allowed state; vs answered writes: ${describeDiff(actual, answeredModel)}\n${server.output()}`);
        }
        confirmed = matched.model;
        totalUncertainKept += matched.kept;
      }
      if (round === ROUNDS) break;

      const client = await RawClient.open(port, { timeout: 30_000 });
      expect(client.connect?.timeOut).toBeGreaterThan(0);
      const killAfter = 20 + Math.floor(random() * 400);
      const running = server;
      const killer = setTimeout(() => running.kill('SIGKILL'), killAfter);
      const run = await writeUntilBroken(client, new Map(confirmed), nextOp, { window: 64 });
      clearTimeout(killer);
      running.kill('SIGKILL');
      await running.exited();
      client.close();
      expect(run.failures).toEqual([]);
      totalAnswered += run.answered.length;
      previous = run;
    }

    console.log(`crash: ${totalAnswered} writes answered over ${ROUNDS} rounds, ${totalUncertainKept} in-flight writes survived; ` +
      `${dataFiles(path.join(dir, 'data'), 'snapshot.').length} snapshots, ${dataFiles(path.join(dir, 'data'), 'log.').length} logs`);
    expect(totalAnswered).toBeGreaterThan(ROUNDS * 10);
    expect(confirmed.size).toBeGreaterThan(0);
    expect(dataFiles(path.join(dir, 'data'), 'snapshot.').length).toBeGreaterThan(0);
  });
});
