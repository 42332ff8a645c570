/**
 * Linearizability under faults: several clients do reads (sync, then getData: ZooKeeper's plain reads are only
 * sequentially consistent, sync first makes them linearizable) and compare-and-set writes (setData with a version)
 * on a few znodes while servers are killed and partitioned. Each run's history is checked by the Wing & Gong /
 * Porcupine-style checker in tests/helpers/linearizability.ts. One ensemble serves all runs (fresh znodes per run)
 * to keep the file short.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZkClient, ErrorCode, isZkError } from '../../ensemble/client/index.ts';
import { startEnsemble, type Ensemble } from '../helpers/ensemble.ts';
import { checkLinearizable, znodeRegisterModel, type Operation, type RegisterInput, type RegisterOutput } from '../helpers/linearizability.ts';

const RUNS = 20;
const RUN_MS = 2500;
const CLIENTS = 4;
const KEYS = 2;

let ensemble: Ensemble;

beforeAll(async () => {
  ensemble = await startEnsemble({ tickTime: 100, initLimit: 10, syncLimit: 5, throughProxy: true });
  await ensemble.waitForLeader();
});

afterAll(async () => {
  await ensemble?.stop();
});

type Op = Operation<RegisterInput, RegisterOutput>;
type Fault = 'kill-leader' | 'kill-follower' | 'isolate-leader' | 'isolate-follower';
const FAULTS: Fault[] = ['kill-leader', 'isolate-leader', 'kill-follower', 'isolate-follower'];

async function injectFault(fault: Fault): Promise<() => Promise<void>> {
  const leader = await ensemble.waitForLeader({ timeoutMs: 20_000 });
  const victim = fault.endsWith('leader') ? leader : ensemble.nodes.find((n) => n !== leader)!;
  if (fault.startsWith('kill')) {
    await victim.kill();
    return () => victim.restart();
  }
  ensemble.isolate(victim.sid);
  return async () => ensemble.heal();
}

async function runOnce(run: number, fault: Fault): Promise<{ history: Op[]; ok: number }> {
  const root = `/lin${run}`;
  const setup = await ZkClient.connect(ensemble.connectString, { sessionTimeout: 2000 });
  await setup.create(root, '');
  for (let k = 0; k < KEYS; k++) await setup.create(`${root}/k${k}`, 'init');
  await setup.close();

  const history: Op[] = [];
  let stop = false;
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const workers = Array.from({ length: CLIENTS }, async (_, client) => {
    const hosts = ensemble.nodes.map((n) => n.connectString);
    const c = new ZkClient([...hosts.slice(client % hosts.length), ...hosts.slice(0, client % hosts.length)].join(','), { sessionTimeout: 2000, connectTimeout: 500 });
    c.connect().catch(() => {});
    const knownVersion = new Map<string, number>();
    for (let n = 0; !stop; n++) {
      const key = `${root}/k${(client + n) % KEYS}`;
      if (Math.random() < 0.5) {
        const call = now();
        try {
          await c.sync(key);
          const { data, stat } = await c.getData(key);
          history.push({ client, key, call, ret: now(), input: { type: 'read' }, output: { type: 'read', value: data?.toString() ?? '', version: stat.version } });
          knownVersion.set(key, stat.version);
        } catch (e) {
          if (!isZkError(e)) throw e;
          await new Promise((r) => setTimeout(r, 20)); // a failed read has no effect: not recorded
        }
      } else {
        const expectedVersion = knownVersion.get(key) ?? 0;
        const value = `c${client}-${n}`;
        const call = now();
        const input: RegisterInput = { type: 'cas', expectedVersion, value };
        try {
          await c.setData(key, value, expectedVersion);
          history.push({ client, key, call, ret: now(), input, output: { type: 'cas', ok: true } });
          knownVersion.set(key, expectedVersion + 1);
        } catch (e) {
          if (!isZkError(e)) throw e;
          if (e.code === ErrorCode.BADVERSION) history.push({ client, key, call, ret: now(), input, output: { type: 'cas', ok: false } });
          else {
            history.push({ client, key, call, ret: Infinity, input, output: undefined }); // indeterminate
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      }
    }
    await c.close().catch(() => {});
  });

  await new Promise((r) => setTimeout(r, RUN_MS * 0.3));
  const recover = await injectFault(fault);
  await new Promise((r) => setTimeout(r, RUN_MS * 0.4));
  await recover();
  await new Promise((r) => setTimeout(r, RUN_MS * 0.3));
  stop = true;
  await Promise.all(workers);
  await ensemble.waitForLeader({ timeoutMs: 20_000 });
  return { history, ok: history.filter((o) => o.output !== undefined).length };
}

describe('linearizability under kills and partitions', () => {
  it(`finds no anomaly in ${RUNS} runs`, { timeout: 240_000 }, async () => {
    const anomalies: string[] = [];
    let completed = 0;
    for (let run = 0; run < RUNS; run++) {
      const fault = FAULTS[run % FAULTS.length]!;
      const { history, ok } = await runOnce(run, fault);
      completed += ok;
      const result = checkLinearizable(znodeRegisterModel({ value: 'init', version: 0 }), history);
      if (!result.ok) anomalies.push(`run ${run} (${fault}): key ${result.badKey}${result.exhausted ? ' (search exhausted)' : ''}: ${JSON.stringify(history.filter((o) => o.key === result.badKey), (_, v) => (v === Infinity ? 'inf' : v))}`);
    }
    expect(anomalies).toEqual([]);
    expect(completed).toBeGreaterThan(RUNS * 20); // the runs did real work
  });
});
