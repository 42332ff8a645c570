/**
 * One failover measurement on a running system: writers keep every server busy with setData, the leader is killed
 * with SIGKILL, and a probe session retries setData every 10 ms; the time from the kill to the probe's first
 * successful write is the failover time. The killed node is then restarted and the ensemble is whole again.
 */
import { ZkClient } from '../ensemble/client/index.ts';
import type { BenchSystem } from './systems.ts';

export interface FailoverSample {
  ms: number;
  /** Sessions (writers and probe) that expired across the failover: ZooKeeper promises none should. */
  expiredSessions: number;
  killedSid: number;
}

const VALUE = Buffer.alloc(100, 0x66);
const WRITERS_PER_SERVER = 4;

export async function measureFailover(system: BenchSystem, sessionTimeoutMs: number): Promise<FailoverSample> {
  const leader = await system.waitForLeader(120_000);
  const writers = await Promise.all(system.nodes.map(() => ZkClient.connect(system.connectString, { sessionTimeout: sessionTimeoutMs })));
  const probe = await ZkClient.connect(system.connectString, { sessionTimeout: sessionTimeoutMs });
  const sessions = [...writers, probe];
  let expired = 0;
  for (const s of sessions) s.on('state', (st) => void (st === 'expired' && expired++));
  await probe.create('/failover', VALUE).catch(() => undefined);

  let loadRunning = true;
  const load = writers.flatMap((c) =>
    Array.from({ length: WRITERS_PER_SERVER }, async () => {
      while (loadRunning) {
        await c.setData('/failover', VALUE).catch(() => new Promise((r) => setTimeout(r, 10)));
      }
    }),
  );
  try {
    await new Promise((r) => setTimeout(r, 300)); // let the load reach a steady state
    await probe.setData('/failover', VALUE);
    const killedAt = performance.now();
    await leader.kill();
    for (;;) {
      try {
        await probe.setData('/failover', VALUE);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    const ms = performance.now() - killedAt;
    loadRunning = false;
    await Promise.all(load);
    return { ms, expiredSessions: expired, killedSid: leader.sid };
  } finally {
    loadRunning = false;
    await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
    if (!leader.isRunning()) await leader.restart();
    await system.waitForLeader(120_000);
  }
}
