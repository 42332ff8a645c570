import { describe, expect, it } from 'vitest';
import { makeZxid, ServerState, ZabNode, type PeerMessage, type QuorumBody } from '../../ensemble/zab/index.ts';
import { TestCluster } from '../sim/cluster.ts';

function bodiesSent(c: TestCluster, from: number, to?: number): QuorumBody[] {
  return c
    .record(from)
    .sent.filter((m) => (to === undefined || m.to === to) && m.message.kind === 'quorum')
    .map((m) => (m.message as Extract<PeerMessage, { kind: 'quorum' }>).body);
}

describe('broadcast', () => {
  it('assigns zxids epoch<<32|counter and applies commits in zxid order on every node', () => {
    const c = new TestCluster([1, 2, 3]);
    const leader = c.electLeader();
    const epoch = c.node(leader).state.epoch!;
    const zxids = ['a', 'b', 'c'].map((p) => {
      const r = c.node(leader).propose(Buffer.from(p));
      if (!r.ok) throw new Error(r.reason);
      return r.zxid;
    });
    expect(zxids).toEqual([makeZxid(epoch, 1), makeZxid(epoch, 2), makeZxid(epoch, 3)]);
    c.tick(2);
    for (const id of [1, 2, 3]) expect(c.record(id).applied.map((e) => e.payload.toString())).toEqual(['a', 'b', 'c']);
  });

  it('commits only after a quorum, counting the leader\'s own fsync, and followers ACK only durable txns', () => {
    const c = new TestCluster([1, 2, 3], { autoPersist: true });
    const leader = c.electLeader();
    const [f1, f2] = [1, 2, 3].filter((id) => id !== leader) as [number, number];
    c.autoPersist = false;
    const r = c.node(leader).propose(Buffer.from('x'));
    expect(r.ok).toBe(true);
    c.collect(leader);
    c.deliverAll();
    expect(c.node(f1).state.lastLoggedZxid).toBe(r.ok ? r.zxid : -1n);
    // Followers logged it but nothing is durable yet: no ACK for it, no commit.
    expect(bodiesSent(c, f1, leader).filter((b) => b.type === 'ACK' && r.ok && b.zxid >= r.zxid)).toHaveLength(0);
    expect(c.record(leader).applied).toHaveLength(0);
    // One follower fsyncs: with the leader not yet durable that is 1 of 3.
    c.node(f1).persisted(c.node(f1).state.lastLoggedZxid);
    c.collect(f1);
    c.deliverAll();
    expect(c.record(leader).applied).toHaveLength(0);
    // The leader's own fsync makes 2 of 3: committed, and COMMIT reaches the followers.
    c.node(leader).persisted(c.node(leader).state.lastLoggedZxid);
    c.collect(leader);
    c.deliverAll();
    expect(c.record(leader).applied.map((e) => e.payload.toString())).toEqual(['x']);
    expect(c.record(f1).applied.map((e) => e.payload.toString())).toEqual(['x']);
    expect(c.record(f2).applied.map((e) => e.payload.toString())).toEqual(['x']);
  });

  it('pipelines proposals and bounds how many are outstanding', () => {
    const c = new TestCluster([1, 2, 3], { config: { maxOutstanding: 3 } });
    const leader = c.electLeader();
    c.isolate(leader);
    const results = [1, 2, 3, 4].map((i) => c.node(leader).propose(Buffer.from(`p${i}`)));
    expect(results.slice(0, 3).every((r) => r.ok)).toBe(true);
    expect(results[3]).toEqual({ ok: false, reason: 'busy' });
    c.healAll();
    c.tick(1);
    expect(c.record(leader).applied).toHaveLength(3);
    expect(c.node(leader).propose(Buffer.from('p5')).ok).toBe(true);
  });

  it('refuses proposals anywhere but at an established leader', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.node(3).propose(Buffer.from('early'))).toEqual({ ok: false, reason: 'not-leader' });
    const leader = c.electLeader();
    const follower = leader === 1 ? 2 : 1;
    expect(c.node(follower).propose(Buffer.from('x'))).toEqual({ ok: false, reason: 'not-leader' });
  });

  it('forwards writes and answers sync only after earlier proposals are committed', () => {
    const c = new TestCluster([1, 2, 3]);
    const leader = c.electLeader();
    const follower = leader === 1 ? 2 : 1;
    expect(c.node(follower).forwardRequest(7n, Buffer.from('create /x'))).toBe(true);
    c.collect(follower);
    c.deliverAll();
    expect(c.record(leader).events).toContainEqual({ type: 'request', from: follower, requestId: 7n, payload: Buffer.from('create /x') });

    c.autoPersist = false;
    expect(c.node(leader).propose(Buffer.from('w')).ok).toBe(true);
    c.collect(leader);
    expect(c.node(follower).sync(8n)).toBe(true);
    c.collect(follower);
    c.deliverAll();
    expect(c.record(follower).events.some((e) => e.type === 'syncDone')).toBe(false);
    c.persistAll();
    c.deliverAll();
    const done = c.record(follower).events.findIndex((e) => e.type === 'syncDone' && e.requestId === 8n);
    expect(done).toBeGreaterThanOrEqual(0);
    expect(c.record(follower).applied.map((e) => e.payload.toString())).toEqual(['w']);
  });
});

describe('durability ordering', () => {
  it('persists acceptedEpoch in the same Ready before the ACKEPOCH that promises it', () => {
    const c = new TestCluster([1, 2, 3]);
    c.electLeader();
    for (const id of [1, 2]) {
      const batch = c.record(id).batches.find((b) => b.messages.some((m) => m.message.kind === 'quorum' && m.message.body.type === 'ACKEPOCH'));
      expect(batch?.storage).toContainEqual({ op: 'epochs', acceptedEpoch: 1n, currentEpoch: 0n });
    }
  });

  it('sets currentEpoch only once the synced history is durable, then ACKs NEWLEADER', () => {
    const c = new TestCluster([1, 2, 3], {
      autoPersist: false,
      states: {
        1: { acceptedEpoch: 1n, currentEpoch: 1n, snapshotZxid: 0n, log: [] },
        2: { acceptedEpoch: 1n, currentEpoch: 1n, snapshotZxid: 0n, log: [{ zxid: makeZxid(1n, 1), payload: Buffer.from('a') }] },
        3: { acceptedEpoch: 1n, currentEpoch: 1n, snapshotZxid: 0n, log: [{ zxid: makeZxid(1n, 1), payload: Buffer.from('a') }] },
      },
    });
    c.isolate(2);
    c.tick(8);
    // Node 1 received the DIFF but its append is not durable: no currentEpoch change, no ACK yet.
    expect(c.node(1).state.currentEpoch).toBe(1n);
    expect(bodiesSent(c, 1, 3).some((b) => b.type === 'ACK')).toBe(false);
    c.node(1).persisted(makeZxid(1n, 1));
    c.collect(1);
    const last = c.record(1).batches[c.record(1).batches.length - 1]!;
    expect(last.storage).toContainEqual({ op: 'epochs', acceptedEpoch: 2n, currentEpoch: 2n });
    expect(last.messages.some((m) => m.message.kind === 'quorum' && m.message.body.type === 'ACK')).toBe(true);
    c.deliverAll();
    expect(c.node(3).state).toMatchObject({ role: 'leading', ready: true, epoch: 2n });
  });
});

describe('timeouts', () => {
  it('a leader that loses its quorum for syncLimit ticks steps down and stops accepting writes', () => {
    const c = new TestCluster([1, 2, 3]);
    const leader = c.electLeader();
    c.isolate(leader);
    c.tick(5);
    expect(c.node(leader).state.role).toBe('leading');
    c.tick(2);
    expect(c.node(leader).state.role).toBe('looking');
    expect(c.node(leader).propose(Buffer.from('late'))).toEqual({ ok: false, reason: 'not-leader' });
    // The other two elect a new leader in a later epoch.
    c.tick(20);
    const next = c.establishedLeader();
    expect(next).not.toBeNull();
    expect(next).not.toBe(leader);
    expect(c.node(next!).state.epoch).toBe(2n);
  });

  it('a follower that hears nothing for syncLimit ticks goes back to LOOKING', () => {
    const c = new TestCluster([1, 2, 3]);
    const leader = c.electLeader();
    const follower = leader === 1 ? 2 : 1;
    c.isolate(follower);
    c.tick(5);
    expect(c.node(follower).state.role).toBe('following');
    c.tick(2);
    expect(c.node(follower).state.role).toBe('looking');
    c.healAll();
    c.tick(6);
    expect(c.node(follower).state).toMatchObject({ role: 'following', leaderId: leader, ready: true });
  });

  it('a learner that cannot finish syncing within initLimit ticks gives up', () => {
    const c = new TestCluster([1, 2, 3]);
    c.isolate(3);
    c.isolate(2);
    // Node 1 hears only stale notifications it fabricates itself: feed it a quorum claiming 3 leads.
    const n1 = c.node(1);
    n1.step(2, { kind: 'notification', state: ServerState.FOLLOWING, leader: 3, zxid: 0n, electionEpoch: 1n, peerEpoch: 0n });
    n1.step(3, { kind: 'notification', state: ServerState.LEADING, leader: 3, zxid: 0n, electionEpoch: 1n, peerEpoch: 0n });
    c.collect(1);
    expect(n1.state.role).toBe('following');
    c.tick(10);
    expect(n1.state.role).toBe('following');
    c.tick(2);
    expect(n1.state.role).toBe('looking');
  });

  /** An established ensemble and one follower back to LOOKING after a partition (healed), about to be misled. */
  function strayFollower(): { c: TestCluster; leader: number; stray: number; other: number; n: ZabNode } {
    const c = new TestCluster([1, 2, 3]);
    const leader = c.electLeader();
    const [stray, other] = [1, 2, 3].filter((id) => id !== leader) as [number, number];
    c.isolate(stray);
    c.tick(7);
    expect(c.node(stray).state.role).toBe('looking');
    c.healAll();
    return { c, leader, stray, other, n: c.node(stray) };
  }

  it('a learner whose chosen leader follows someone else elects again at once, not after initLimit ticks', () => {
    // As when a node restarts mid-election: it concluded on a leader the others then abandoned.
    const { c, leader, stray, other, n } = strayFollower();
    n.step(other, { kind: 'notification', state: ServerState.LEADING, leader: other, zxid: 0n, electionEpoch: 9n, peerEpoch: 1n });
    n.step(leader, { kind: 'notification', state: ServerState.FOLLOWING, leader: other, zxid: 0n, electionEpoch: 9n, peerEpoch: 1n });
    expect(n.state).toMatchObject({ role: 'following', leaderId: other });
    c.collect(stray);
    c.deliverAll();
    c.tick(2);
    expect(n.state).toMatchObject({ role: 'following', leaderId: leader, ready: true });
  });

  it('a leader whose voters follow someone else elects again at once, not after initLimit ticks', () => {
    const { c, leader, stray, other, n } = strayFollower();
    // A LOOKING vote for the stray in a newer round makes it conclude that it leads (as with a vote that
    // arrived just before the others moved on).
    const round = n.state.logicalClock + 5n;
    n.step(other, { kind: 'notification', state: ServerState.LOOKING, leader: stray, zxid: makeZxid(9n, 9), electionEpoch: round, peerEpoch: 9n });
    n.tick();
    expect(n.state).toMatchObject({ role: 'leading', ready: false });
    c.collect(stray);
    c.takeInflight(); // its LOOKING votes are lost: only its own announcement can reveal the others moved on
    c.tick(3);
    expect(n.state).toMatchObject({ role: 'following', leaderId: leader, ready: true });
    expect(c.node(leader).state).toMatchObject({ role: 'leading', ready: true });
  });
});

describe('discovery safety', () => {
  function leaderInDiscovery(): { node: ZabNode; session: bigint } {
    // Node 3 concludes it leads (votes from 1 and 2 for it), then waits for FOLLOWERINFO.
    const node = new ZabNode({ myId: 3, voters: [1, 2, 3], initLimit: 10, syncLimit: 5, finalizeWaitTicks: 0, random: () => 0.5 }, {
      acceptedEpoch: 1n,
      currentEpoch: 1n,
      snapshotZxid: 0n,
      log: [{ zxid: makeZxid(1n, 1), payload: Buffer.from('a') }],
    });
    node.step(1, { kind: 'notification', state: ServerState.LOOKING, leader: 3, zxid: makeZxid(1n, 1), electionEpoch: 1n, peerEpoch: 1n });
    expect(node.state.role).toBe('leading');
    node.drain();
    return { node, session: 77n };
  }

  it('steps down when a quorum member reports more history than the leader has', () => {
    const { node, session } = leaderInDiscovery();
    node.step(1, { kind: 'quorum', session, seq: 0, body: { type: 'FOLLOWERINFO', acceptedEpoch: 1n, lastZxid: makeZxid(1n, 5), observer: false } });
    const out = node.drain();
    expect(out.storage).toContainEqual({ op: 'epochs', acceptedEpoch: 2n, currentEpoch: 1n });
    expect(out.messages.map((m) => m.message.kind === 'quorum' && m.message.body.type)).toContain('LEADERINFO');
    node.step(1, { kind: 'quorum', session, seq: 1, body: { type: 'ACKEPOCH', currentEpoch: 1n, lastZxid: makeZxid(1n, 5), fresh: true } });
    expect(node.state.role).toBe('looking');
  });

  it('does not count an ACKEPOCH for an epoch the learner had already accepted', () => {
    const { node, session } = leaderInDiscovery();
    node.step(1, { kind: 'quorum', session, seq: 0, body: { type: 'FOLLOWERINFO', acceptedEpoch: 1n, lastZxid: makeZxid(1n, 1), observer: false } });
    node.drain();
    node.step(1, { kind: 'quorum', session, seq: 1, body: { type: 'ACKEPOCH', currentEpoch: 1n, lastZxid: makeZxid(1n, 1), fresh: false } });
    const stale = node.drain();
    expect(stale.messages.some((m) => m.message.kind === 'quorum' && m.message.body.type === 'NEWLEADER')).toBe(false);
    expect(node.state.currentEpoch).toBe(1n);
    // A fresh promise from node 2 completes the quorum: syncing starts.
    node.step(2, { kind: 'quorum', session: 78n, seq: 0, body: { type: 'FOLLOWERINFO', acceptedEpoch: 1n, lastZxid: makeZxid(1n, 1), observer: false } });
    node.step(2, { kind: 'quorum', session: 78n, seq: 1, body: { type: 'ACKEPOCH', currentEpoch: 1n, lastZxid: makeZxid(1n, 1), fresh: true } });
    expect(node.state.currentEpoch).toBe(2n);
    const synced = node.drain();
    expect(synced.messages.filter((m) => m.message.kind === 'quorum' && m.message.body.type === 'NEWLEADER').map((m) => m.to)).toEqual([1, 2]);
  });

  it('ignores packets from a stale session and duplicates within a session', () => {
    const { node, session } = leaderInDiscovery();
    node.step(1, { kind: 'quorum', session, seq: 0, body: { type: 'FOLLOWERINFO', acceptedEpoch: 1n, lastZxid: makeZxid(1n, 1), observer: false } });
    node.drain();
    node.step(1, { kind: 'quorum', session: session + 1n, seq: 1, body: { type: 'ACKEPOCH', currentEpoch: 1n, lastZxid: makeZxid(1n, 1), fresh: true } });
    expect(node.drain().messages).toHaveLength(0);
    expect(node.state.currentEpoch).toBe(1n);
    // Reordered: seq 2 (a PING) before seq 1 (the ACKEPOCH) still processes both in order.
    node.step(1, { kind: 'quorum', session, seq: 2, body: { type: 'PING' } });
    node.step(1, { kind: 'quorum', session, seq: 1, body: { type: 'ACKEPOCH', currentEpoch: 1n, lastZxid: makeZxid(1n, 1), fresh: true } });
    node.step(1, { kind: 'quorum', session, seq: 1, body: { type: 'ACKEPOCH', currentEpoch: 1n, lastZxid: makeZxid(1n, 1), fresh: true } });
    const out = node.drain();
    expect(node.state.currentEpoch).toBe(2n);
    expect(out.messages.filter((m) => m.message.kind === 'quorum' && m.message.body.type === 'NEWLEADER')).toHaveLength(1);
  });
});

describe('election to broadcast without waiting for a tick', () => {
  it('a leader that concludes after its followers uses the FOLLOWERINFO they sent while it was still looking', () => {
    const c = new TestCluster([1, 2, 3]);
    c.deliverAll();
    // Everyone votes for 3; the followers conclude first and send FOLLOWERINFO to a node that is still looking.
    for (const id of [1, 2]) {
      c.node(id).tick();
      c.collect(id);
    }
    expect(c.node(1).state.role).toBe('following');
    expect(c.node(3).state.role).toBe('looking');
    c.deliverAll();
    // Now 3 concludes: with no further tick (no re-sent FOLLOWERINFO), the epoch is agreed and everyone is synced.
    c.node(3).tick();
    c.collect(3);
    c.deliverAll();
    expect(c.establishedLeader()).toBe(3);
    expect(c.allSynced()).toBe(true);
  });

});
