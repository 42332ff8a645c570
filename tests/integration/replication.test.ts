/**
 * Three real server processes on loopback: kill -9 of the leader under write load, a rejoining node catching up
 * by DIFF or (after compaction) by SNAP, and a session surviving the death of the server it was connected to.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ZkClient, CreateMode, isZkError } from '../../ensemble/client/index.ts';
import { childrenOn, ClientPool, startEnsemble, type Ensemble, type EnsembleNode } from '../helpers/ensemble.ts';

let ensemble: Ensemble | null = null;
const pool = new ClientPool(4000);
const connect = (connectString: string, sessionTimeout?: number): Promise<ZkClient> => pool.connect(connectString, sessionTimeout);

afterEach(async () => {
  await pool.closeAll();
  await ensemble?.stop();
  ensemble = null;
});

/** Writers creating unique znodes as fast as they can; returns the paths acknowledged OK. */
function startWriters(connectStrings: string[], root: string) {
  const acked: string[] = [];
  const ackTimes: number[] = [];
  let running = true;
  const loops = connectStrings.map(async (cs, w) => {
    const c = await connect(cs);
    for (let i = 0; running; i++) {
      const name = `w${w}-${i}`;
      try {
        await c.create(`${root}/${name}`, name);
        acked.push(name);
        ackTimes.push(Date.now());
      } catch (e) {
        if (!isZkError(e)) throw e;
        // CONNECTIONLOSS and friends: the write may or may not have happened; only acknowledged writes are checked.
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  });
  return {
    acked,
    ackTimes,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

describe('replication: three processes', () => {
  it('survives kill -9 of the leader under write load; the killed node catches up by DIFF', async () => {
    ensemble = await startEnsemble({ tickTime: 200, initLimit: 10, syncLimit: 5 });
    const leader = await ensemble.waitForLeader();
    const setup = await connect(ensemble.connectString);
    await setup.create('/load', '');

    // One writer per node, each able to fail over to the others.
    const all = ensemble.nodes.map((n) => n.connectString);
    const writers = startWriters(ensemble.nodes.map((_, i) => [...all.slice(i), ...all.slice(0, i)].join(',')), '/load');
    await new Promise((r) => setTimeout(r, 1500));
    const before = writers.acked.length;
    const killedAt = Date.now();
    await leader.kill();
    const newLeader = await ensemble.waitForLeader({ minFollowers: 1 });
    expect(newLeader.sid).not.toBe(leader.sid);
    await new Promise((r) => setTimeout(r, 1500));
    await writers.stop();

    expect(before).toBeGreaterThan(10);
    const afterKill = writers.ackTimes.filter((t) => t > killedAt).length;
    expect(afterKill).toBeGreaterThan(10); // writes resumed under the new leader

    await leader.restart();
    await ensemble.waitForLeader();
    for (const node of ensemble.nodes) {
      const seen = await childrenOn(node, '/load');
      const missing = writers.acked.filter((p) => !seen.has(p));
      expect(missing, `node ${node.sid} lost acknowledged writes`).toEqual([]);
    }
    // Every node holds exactly the same znodes (acknowledged ones plus whatever in-flight writes committed).
    const views = await Promise.all(ensemble.nodes.map((n) => childrenOn(n, '/load')));
    for (const v of views) expect([...v].sort()).toEqual([...views[0]!].sort());
    expect(leader.output()).not.toMatch(/SNAP: installing/);
  });

  it("a node down for more writes than the leader keeps in memory catches up by a DIFF read from the leader's log", async () => {
    ensemble = await startEnsemble({ tickTime: 200, initLimit: 10, syncLimit: 5 });
    const leader = await ensemble.waitForLeader();
    const follower = ensemble.nodes.find((n) => n !== leader)!;
    const c = await connect(leader.connectString);
    await c.create('/diff', '');
    await follower.kill();
    // Well past the 4,096 committed txns the leader keeps in memory, well short of a SNAP (snapCount/2).
    const count = 7000;
    for (let i = 0; i < count; i += 500) {
      const batch: Promise<string>[] = [];
      for (let j = i; j < Math.min(count, i + 500); j++) batch.push(c.create(`/diff/n${j}`, `v${j}`));
      await Promise.all(batch);
    }
    await c.setData('/diff', 'after');

    await follower.restart();
    await ensemble.waitForLeader({ minFollowers: 2 });
    const direct = await connect(follower.connectString);
    await direct.sync('/diff');
    expect((await direct.getData('/diff')).data?.toString()).toBe('after');
    expect((await childrenOn(follower, '/diff')).size).toBe(count);
    const diffLine = /DIFF: (\d+) txns after 0x[0-9a-f]+ read from the log on disk/.exec(leader.output());
    expect(diffLine, leader.output().slice(-2000)).not.toBeNull();
    expect(Number(diffLine![1])).toBeGreaterThan(1000);
    expect(follower.output()).not.toMatch(/SNAP: installing/);
  });

  it('a node down for many writes after compaction catches up by SNAP', async () => {
    ensemble = await startEnsemble({ tickTime: 200, initLimit: 10, syncLimit: 5, config: { snapCount: '20' } });
    const leader = await ensemble.waitForLeader();
    const follower = ensemble.nodes.find((n) => n !== leader)!;
    const c = await connect(leader.connectString);
    await c.create('/snap', '');
    await follower.kill();
    const writes: Promise<string>[] = [];
    for (let i = 0; i < 400; i++) writes.push(c.create(`/snap/n${i}`, `v${i}`));
    await Promise.all(writes);
    await c.setData('/snap', 'after');

    await follower.restart();
    await ensemble.waitForLeader();
    const seen = await childrenOn(follower, '/snap');
    expect(seen.size).toBe(400);
    const direct = await connect(follower.connectString);
    await direct.sync('/snap');
    expect((await direct.getData('/snap')).data?.toString()).toBe('after');
    expect(follower.output()).toMatch(/SNAP: installing/);
  });

  it('a session survives the death of its server: the client reconnects elsewhere and keeps its ephemerals', async () => {
    ensemble = await startEnsemble({ tickTime: 200, initLimit: 10, syncLimit: 5 });
    const leader = await ensemble.waitForLeader();
    const [f1, f2] = ensemble.nodes.filter((n) => n !== leader) as [EnsembleNode, EnsembleNode];
    // The client knows only the two followers and connects to f1 first.
    const c = await connect(`${f1.connectString},${f2.connectString}`, 4000);
    await c.create('/owner', 'x', { mode: CreateMode.EPHEMERAL });
    const sessionId = c.sessionId;
    const observer = await connect(leader.connectString);

    await f1.kill();
    // Well past the session timeout: the session lives only if f2 relays its pings to the leader.
    await new Promise((r) => setTimeout(r, 6000));
    expect(c.sessionId).toBe(sessionId);
    expect(c.state).toBe('connected');
    expect(await observer.exists('/owner')).not.toBeNull();
    expect((await observer.exists('/owner'))!.ephemeralOwner).toBe(sessionId);
    await c.setData('/owner', 'still mine');

    // The client's own closeSession (forwarded by f2) removes the ephemeral from every server.
    await c.close();
    await new Promise((r) => setTimeout(r, 300));
    expect(await observer.exists('/owner')).toBeNull();
  });
});
