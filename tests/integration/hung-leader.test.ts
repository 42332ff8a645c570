/**
 * A hung leader (SIGSTOP: its sockets stay open, nothing answers — unlike kill -9, which closes them): the other two
 * must notice through missed heartbeats and elect a new leader within syncLimit × tickTime + 0.5 s. A write sent to the
 * frozen leader must never be acknowledged as committed in the old epoch; after SIGCONT the old leader steps down and
 * rejoins as a follower with the new history. (A leader isolated by a blackholing proxy: partition.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ZkClient, isZkError } from '../../ensemble/client/index.ts';
import { childrenOn, ClientPool, startEnsemble, type Ensemble, type EnsembleNode } from '../helpers/ensemble.ts';

const TICK = 200;
const SYNC_LIMIT = 5;
const ELECTION_BOUND_MS = SYNC_LIMIT * TICK + 500;

let ensemble: Ensemble | null = null;
const pool = new ClientPool(6000);
const connect = (connectString: string): Promise<ZkClient> => pool.connect(connectString);

afterEach(async () => {
  for (const n of ensemble?.nodes ?? []) n.server?.kill('SIGCONT');
  await pool.closeAll();
  await ensemble?.stop();
  ensemble = null;
});

describe('hung leader (SIGSTOP)', () => {
  it(`the others elect a new leader within syncLimit × tickTime + 0.5 s; the old one serves no stale write and rejoins`, { timeout: 60_000 }, async () => {
    ensemble = await startEnsemble({ tickTime: TICK, initLimit: 10, syncLimit: SYNC_LIMIT });
    const oldLeader = await ensemble.waitForLeader();
    const others = ensemble.nodes.filter((n) => n !== oldLeader);
    const pinned = await connect(oldLeader.connectString);
    await pinned.create('/h', '');
    await pinned.create('/h/before', '');

    oldLeader.server!.kill('SIGSTOP');
    const stoppedAt = Date.now();
    // Sent while the leader is frozen: it sits in the socket buffer until SIGCONT.
    const stale = pinned.create('/h/stale', 'x').then(
      () => 'acknowledged' as const,
      (e: unknown) => {
        if (!isZkError(e)) throw e;
        return e.codeName;
      },
    );

    let electedAt = 0;
    let newLeader: EnsembleNode | null = null;
    while (!newLeader) {
      const modes = await Promise.all(others.map((n) => n.mode()));
      const i = modes.indexOf('leader');
      if (i >= 0 && modes.includes('follower')) {
        electedAt = Date.now();
        newLeader = others[i]!;
      } else {
        expect(Date.now() - stoppedAt, `modes ${modes.join(', ')}`).toBeLessThan(ELECTION_BOUND_MS + 3000);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    const electionMs = electedAt - stoppedAt;
    console.log(`hung leader: new leader ${newLeader.sid} serving ${electionMs} ms after SIGSTOP at ${new Date(stoppedAt).toISOString()} (bound ${ELECTION_BOUND_MS} ms)`);
    if (process.env.HUNG_DEBUG) for (const n of others) console.log(n.output().split("\n").slice(-25).join("\n"));
    expect(electionMs).toBeLessThan(ELECTION_BOUND_MS);

    const majority = await connect(others.map((n) => n.connectString).join(','));
    for (let i = 0; i < 10; i++) await majority.create(`/h/new-${i}`, 'y');

    oldLeader.server!.kill('SIGCONT');
    const outcome = await stale;
    // Rejoined: one leader (not the old one), two followers.
    const leaderAfter = await ensemble.waitForLeader({ timeoutMs: 20_000 });
    expect(leaderAfter).not.toBe(oldLeader);
    expect(await oldLeader.mode()).toBe('follower');

    const onNew = await childrenOn(newLeader, '/h', 6000);
    const onOld = await childrenOn(oldLeader, '/h', 6000);
    for (let i = 0; i < 10; i++) {
      expect(onNew.has(`new-${i}`)).toBe(true);
      expect(onOld.has(`new-${i}`), `old leader lacks new-${i}`).toBe(true);
    }
    expect(onOld.has('before')).toBe(true);
    // Either the client was told it failed, or the write is part of the new history everywhere.
    if (outcome === 'acknowledged') {
      expect(onNew.has('stale')).toBe(true);
      expect(onOld.has('stale')).toBe(true);
    } else {
      expect(outcome).toMatch(/CONNECTIONLOSS|SESSIONEXPIRED|OPERATIONTIMEOUT/);
      expect(onNew.has('stale')).toBe(onOld.has('stale'));
    }
    console.log(`hung leader: the write sent to the frozen leader ended ${outcome}`);
  });
});
