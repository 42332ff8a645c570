import { describe, expect, it } from 'vitest';
import { chooseSync, makeZxid, type LogEntry } from '../../ensemble/zab/index.ts';
import { TestCluster } from '../sim/cluster.ts';

const z = (epoch: number, counter: number): bigint => makeZxid(BigInt(epoch), counter);
const history = { base: 0n, zxids: [z(1, 1), z(1, 2), z(1, 3), z(3, 1), z(3, 2)] };

function logOf(epoch: bigint, count: number): LogEntry[] {
  return Array.from({ length: count }, (_, i) => ({ zxid: makeZxid(epoch, i + 1), payload: Buffer.from(`e${epoch}-${i + 1}`) }));
}

describe('chooseSync', () => {
  it('sends an empty DIFF to a learner that is level with the leader', () => {
    expect(chooseSync(history, z(3, 2), 100)).toEqual({ mode: 'DIFF', sendFrom: 5 });
  });

  it('sends a DIFF of the missing txns to a learner on the leader\'s history', () => {
    expect(chooseSync(history, z(1, 2), 100)).toEqual({ mode: 'DIFF', sendFrom: 2 });
    expect(chooseSync(history, 0n, 100)).toEqual({ mode: 'DIFF', sendFrom: 0 });
  });

  it('TRUNCs a learner that is ahead of the leader back to the leader\'s last zxid', () => {
    expect(chooseSync(history, z(3, 7), 100)).toEqual({ mode: 'TRUNC', truncateTo: z(3, 2), sendFrom: 5 });
  });

  it('TRUNCs an old epoch\'s uncommitted proposals, then sends what follows the shared point', () => {
    // The learner logged 2.1 and 2.2 from a leader of epoch 2 that never got them committed.
    expect(chooseSync(history, z(2, 2), 100)).toEqual({ mode: 'TRUNC', truncateTo: z(1, 3), sendFrom: 3 });
    expect(chooseSync(history, z(1, 3) + 1n, 100)).toEqual({ mode: 'TRUNC', truncateTo: z(1, 3), sendFrom: 3 });
  });

  it('SNAPs a learner behind the leader\'s in-memory log, or too far behind to be worth a DIFF', () => {
    const compacted = { base: z(1, 2), zxids: [z(1, 3), z(3, 1), z(3, 2)] };
    expect(chooseSync(compacted, z(1, 1), 100)).toEqual({ mode: 'SNAP' });
    expect(chooseSync(compacted, z(1, 2), 100)).toEqual({ mode: 'DIFF', sendFrom: 0 });
    expect(chooseSync(history, z(1, 1), 3)).toEqual({ mode: 'SNAP' });
    expect(chooseSync(history, z(1, 2), 3)).toEqual({ mode: 'DIFF', sendFrom: 2 });
  });
});

describe('synchronisation in an ensemble', () => {
  it('brings a lagging follower up with DIFF and commits the leader\'s history everywhere', () => {
    const c = new TestCluster([1, 2, 3], {
      states: {
        1: { acceptedEpoch: 1n, currentEpoch: 1n, snapshotZxid: 0n, log: logOf(1n, 2) },
        2: { acceptedEpoch: 1n, currentEpoch: 1n, snapshotZxid: 0n, log: logOf(1n, 6) },
        3: { acceptedEpoch: 1n, currentEpoch: 1n, snapshotZxid: 0n, log: logOf(1n, 6) },
      },
    });
    expect(c.electLeader()).toBe(3);
    const sentTo1 = c.record(3).sent.filter((m) => m.to === 1 && m.message.kind === 'quorum').map((m) => (m.message as { body: { type: string } }).body.type);
    expect(sentTo1).toContain('DIFF');
    expect(sentTo1.filter((t) => t === 'PROPOSAL')).toHaveLength(4);
    for (const id of [1, 2, 3]) expect(c.record(id).applied).toHaveLength(6);
  });

  it('asks the runtime for a snapshot and installs it on a learner behind the compacted log', () => {
    const c = new TestCluster([1, 2, 3]);
    const leader = c.electLeader();
    for (let i = 0; i < 6; i++) expect(c.node(leader).propose(Buffer.from(`t${i}`)).ok).toBe(true);
    c.tick(2);
    const committed = c.node(leader).state.lastCommittedZxid;
    expect(c.record(leader).applied).toHaveLength(6);
    c.node(leader).compact(committed);
    expect(c.node(leader).state.logBase).toBe(committed);

    // Node 1 loses its disk entirely and rejoins: the leader no longer has the txns in memory.
    const victim = leader === 1 ? 2 : 1;
    c.node(victim).restart({ acceptedEpoch: 0n, currentEpoch: 0n, snapshotZxid: 0n, log: [] });
    c.record(victim).applied = [];
    c.collect(victim);
    c.tick(3);
    const request = c.record(leader).events.find((e) => e.type === 'snapshotRequest');
    expect(request).toBeDefined();
    expect(c.node(victim).state.ready).toBe(false);
    c.node(leader).snapshotProvided((request as { requestId: number }).requestId, committed, Buffer.from('six txns'));
    c.collect(leader);
    c.tick(3);
    expect(c.node(victim).state).toMatchObject({ role: 'following', ready: true, logBase: committed, lastCommittedZxid: committed });
    const snap = c.record(victim).storage.find((s) => s.op === 'snapshot');
    expect(snap).toMatchObject({ op: 'snapshot', zxid: committed, entries: [] });
    // New writes flow to it as usual afterwards.
    expect(c.node(leader).propose(Buffer.from('after')).ok).toBe(true);
    c.tick(2);
    expect(c.record(victim).applied.map((e) => e.payload.toString())).toEqual(['after']);
  });

  it('keeps only about snapThreshold committed txns in memory, and syncs within them by DIFF', () => {
    const c = new TestCluster([1, 2, 3], { config: { snapThreshold: 8 } });
    const leader = c.electLeader();
    for (let i = 0; i < 100; i++) expect(c.node(leader).propose(Buffer.from(`t${i}`)).ok).toBe(true);
    c.tick(2);
    for (const id of [1, 2, 3]) {
      expect(c.record(id).applied).toHaveLength(100);
      const held = c.node(id).logEntries();
      expect(held.length).toBeGreaterThanOrEqual(8);
      expect(held.length).toBeLessThanOrEqual(8 + 2);
      expect(held[held.length - 1]!.payload.toString()).toBe('t99');
    }
    // A follower 5 behind (inside what the leader holds) gets a DIFF of exactly those 5.
    const victim = leader === 1 ? 2 : 1;
    const appended = c.record(victim).storage.flatMap((s) => (s.op === 'append' ? [s.entry] : []));
    const state = c.node(victim).state;
    c.node(victim).restart({ acceptedEpoch: state.acceptedEpoch, currentEpoch: state.currentEpoch, snapshotZxid: appended[94]!.zxid, log: [] });
    const sentBefore = c.record(leader).sent.length;
    c.collect(victim);
    c.tick(4);
    const bodies = c.record(leader).sent.slice(sentBefore).filter((m) => m.to === victim && m.message.kind === 'quorum').map((m) => (m.message as { body: { type: string } }).body.type);
    expect(bodies).toContain('DIFF');
    expect(bodies.filter((t) => t === 'PROPOSAL')).toHaveLength(5);
  });

  it('never lets a half-received SNAP replace the learner\'s log', () => {
    // snapThreshold 1: the leader keeps one committed txn in memory, so a learner two behind gets a SNAP.
    const c = new TestCluster([1, 2, 3], { config: { snapThreshold: 1 } });
    const leader = c.electLeader();
    for (const data of ['a', 'b', 'c']) expect(c.node(leader).propose(Buffer.from(data)).ok).toBe(true);
    c.tick(2);
    const victim = leader === 1 ? 2 : 1;
    // It comes back having kept only the first txn (its in-memory log is trimmed too: take what it appended).
    const appended = c.record(victim).storage.flatMap((s) => (s.op === 'append' ? [s.entry] : []));
    const kept = appended.slice(0, 1);
    const before = kept.map((e) => e.zxid);
    expect(before).toHaveLength(1);
    c.node(victim).restart({ acceptedEpoch: c.node(victim).state.acceptedEpoch, currentEpoch: c.node(victim).state.currentEpoch, snapshotZxid: 0n, log: kept });
    c.collect(victim);
    c.tick(2);
    const request = c.record(leader).events.filter((e) => e.type === 'snapshotRequest').pop() as { requestId: number };
    c.node(leader).snapshotProvided(request.requestId, appended[2]!.zxid, Buffer.from('state after c'));
    c.collect(leader);
    // Deliver only the SNAP (not the tail and NEWLEADER) to the victim.
    const inflight = c.takeInflight();
    for (const m of inflight) {
      if (m.to === victim && m.msg.kind === 'quorum' && m.msg.body.type === 'SNAP') c.node(victim).step(m.from, m.msg);
    }
    c.collect(victim);
    expect(c.node(victim).logEntries().map((e) => e.zxid)).toEqual(before);
    expect(c.record(victim).storage.filter((s) => s.op === 'snapshot')).toHaveLength(0);
  });
});
