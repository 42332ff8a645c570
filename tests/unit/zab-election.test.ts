import { describe, expect, it } from 'vitest';
import { FastLeaderElection, leaderConfirmed, sameVote, ServerState, supporters, voteBeats, isQuorum, makeZxid, type TalliedVote, type LogEntry } from '../../ensemble/zab/index.ts';
import { TestCluster } from '../sim/cluster.ts';

const allVoters = (id: number): boolean => id >= 1 && id <= 5;
const vote = (leader: number, peerEpoch: bigint, zxid: bigint, electionEpoch = 1n, state: ServerState = ServerState.LOOKING): TalliedVote => ({
  leader,
  peerEpoch,
  zxid,
  electionEpoch,
  state,
});

function logOf(epoch: bigint, count: number): LogEntry[] {
  return Array.from({ length: count }, (_, i) => ({ zxid: makeZxid(epoch, i + 1), payload: Buffer.from(`e${epoch}-${i + 1}`) }));
}

describe('vote ordering', () => {
  it('prefers higher peer epoch, then higher zxid, then higher myid', () => {
    expect(voteBeats(vote(1, 3n, 0x100000001n), vote(5, 2n, 0x2000000ffn), allVoters)).toBe(true);
    expect(voteBeats(vote(5, 2n, 0x2000000ffn), vote(1, 3n, 0x100000001n), allVoters)).toBe(false);
    expect(voteBeats(vote(1, 2n, 0x200000002n), vote(5, 2n, 0x200000001n), allVoters)).toBe(true);
    expect(voteBeats(vote(5, 2n, 0x200000001n), vote(1, 2n, 0x200000002n), allVoters)).toBe(false);
    expect(voteBeats(vote(3, 2n, 0x200000001n), vote(2, 2n, 0x200000001n), allVoters)).toBe(true);
    expect(voteBeats(vote(2, 2n, 0x200000001n), vote(2, 2n, 0x200000001n), allVoters)).toBe(false);
  });

  it('never lets a non-voter win', () => {
    expect(voteBeats(vote(9, 99n, 0xffffn), vote(1, 0n, 0n), allVoters)).toBe(false);
    expect(voteBeats(vote(-1, -1n, -1n), vote(1, 0n, 0n), allVoters)).toBe(false);
  });

  it('compares settled votes by leader and epoch only, looking votes by everything', () => {
    const a = vote(2, 4n, 0x400000001n, 3n, ServerState.FOLLOWING);
    const b = vote(2, 4n, 0x400000009n, 5n, ServerState.LEADING);
    expect(sameVote(a, b)).toBe(true);
    expect(sameVote({ ...a, state: ServerState.LOOKING }, b)).toBe(false);
    expect(sameVote(vote(2, 4n, 1n, 3n), vote(2, 4n, 1n, 3n))).toBe(true);
    expect(sameVote(vote(2, 4n, 1n, 3n), vote(2, 4n, 1n, 4n))).toBe(false);
  });

  it('counts only voters toward a quorum and trusts a leader only if it said LEADING', () => {
    const votes = new Map<number, TalliedVote>([
      [1, vote(3, 1n, 5n)],
      [2, vote(3, 1n, 5n)],
      [9, vote(3, 1n, 5n)],
    ]);
    expect(supporters(votes, vote(3, 1n, 5n), allVoters)).toEqual(new Set([1, 2]));
    expect(isQuorum(2, 3)).toBe(true);
    expect(isQuorum(2, 4)).toBe(false);
    expect(isQuorum(3, 5)).toBe(true);
    expect(leaderConfirmed(votes, 3, 1, 1n, 1n)).toBe(false);
    votes.set(3, vote(3, 1n, 5n, 1n, ServerState.LEADING));
    expect(leaderConfirmed(votes, 3, 1, 1n, 1n)).toBe(true);
    expect(leaderConfirmed(votes, 1, 1, 2n, 1n)).toBe(false);
    expect(leaderConfirmed(votes, 1, 1, 1n, 1n)).toBe(true);
  });
});

describe('FastLeaderElection rounds', () => {
  const settings = { myId: 1, voters: new Set([1, 2, 3]), finalizeWaitTicks: 2, resendTicks: 3, ownHistory: () => ({ zxid: 5n, peerEpoch: 1n }) };
  const looking = (leader: number, zxid: bigint, electionEpoch = 1n) =>
    ({ kind: 'notification', state: ServerState.LOOKING, leader, zxid, electionEpoch, peerEpoch: 1n }) as const;

  it('waits finalizeWait ticks after a quorum agrees before concluding', () => {
    const fle = new FastLeaderElection(settings);
    const started = fle.start(0);
    expect(started.send.map((s) => s.to)).toEqual([2, 3]);
    expect(started.send[0]!.message).toMatchObject({ leader: 1, zxid: 5n, electionEpoch: 1n, peerEpoch: 1n });
    const adopt = fle.onNotification(0, 3, looking(3, 5n));
    // Node 3's vote beats ours (same epoch and zxid, higher id): we switch and tell everyone.
    expect(adopt.send.map((s) => s.message.leader)).toEqual([3, 3]);
    expect(adopt.elected).toBeNull();
    expect(fle.tick(1).elected).toBeNull();
    expect(fle.tick(2).elected).toMatchObject({ leader: 3, zxid: 5n });
  });

  it('a better vote during the finalize wait changes the outcome', () => {
    const fle = new FastLeaderElection(settings);
    fle.start(0);
    fle.onNotification(0, 3, looking(3, 5n));
    expect(fle.tick(1).elected).toBeNull();
    const better = fle.onNotification(1, 2, looking(2, 9n));
    expect(better.send.every((s) => s.message.leader === 2)).toBe(true);
    expect(fle.tick(2).elected).toBeNull();
    expect(fle.tick(3).elected).toMatchObject({ leader: 2, zxid: 9n });
  });

  it('joins a newer round, answers an older one, and resends its vote on a timer', () => {
    const fle = new FastLeaderElection(settings);
    fle.start(0);
    fle.onNotification(0, 2, looking(2, 1n, 7n));
    expect(fle.logicalClock).toBe(7n);
    const answer = fle.onNotification(0, 3, looking(3, 1n, 2n));
    expect(answer.send).toEqual([{ to: 3, message: expect.objectContaining({ leader: 1, electionEpoch: 7n }) }]);
    expect(fle.tick(2).send).toHaveLength(0);
    expect(fle.tick(3).send.map((s) => s.to)).toEqual([2, 3]);
  });

  it('joins an established leader once a quorum reports it and the leader confirms', () => {
    const fle = new FastLeaderElection(settings);
    fle.start(0);
    const settled = (from: number, state: ServerState) => fle.onNotification(0, from, { kind: 'notification', state, leader: 3, zxid: 0x200000001n, electionEpoch: 4n, peerEpoch: 2n });
    expect(settled(2, ServerState.FOLLOWING).elected).toBeNull();
    expect(settled(3, ServerState.LEADING).elected).toMatchObject({ leader: 3, peerEpoch: 2n });
    expect(fle.logicalClock).toBe(4n);
  });
});

describe('fast leader election in an ensemble', () => {
  it('elects the highest myid when histories are equal, and everyone follows it', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.electLeader()).toBe(3);
    expect(c.node(1).state).toMatchObject({ role: 'following', leaderId: 3, ready: true, currentEpoch: 1n });
    expect(c.node(2).state).toMatchObject({ role: 'following', leaderId: 3, ready: true });
    expect(c.node(3).state.epoch).toBe(1n);
  });

  it('elects the node with the longest log of the newest epoch over higher ids', () => {
    const c = new TestCluster([1, 2, 3], {
      states: {
        1: { acceptedEpoch: 2n, currentEpoch: 2n, snapshotZxid: 0n, log: logOf(2n, 5) },
        2: { acceptedEpoch: 2n, currentEpoch: 2n, snapshotZxid: 0n, log: logOf(2n, 3) },
        3: { acceptedEpoch: 2n, currentEpoch: 2n, snapshotZxid: 0n, log: logOf(2n, 4) },
      },
    });
    expect(c.electLeader()).toBe(1);
    expect(c.node(1).state.epoch).toBe(3n);
    // The winner's whole history is committed everywhere.
    for (const id of [1, 2, 3]) expect(c.record(id).applied.map((e) => e.zxid)).toEqual(logOf(2n, 5).map((e) => e.zxid));
  });

  it('prefers a newer currentEpoch over a longer log', () => {
    const c = new TestCluster([1, 2, 3], {
      states: {
        1: { acceptedEpoch: 1n, currentEpoch: 1n, snapshotZxid: 0n, log: logOf(1n, 9) },
        2: { acceptedEpoch: 2n, currentEpoch: 2n, snapshotZxid: 0n, log: [...logOf(1n, 2), ...logOf(2n, 1)] },
        3: { acceptedEpoch: 1n, currentEpoch: 1n, snapshotZxid: 0n, log: logOf(1n, 2) },
      },
    });
    expect(c.electLeader()).toBe(2);
    // Node 1's old-epoch tail was never in the new leader's history: it is truncated away.
    expect(c.record(1).storage).toContainEqual({ op: 'truncate', afterZxid: makeZxid(1n, 2) });
    expect(c.node(1).state.lastLoggedZxid).toBe(makeZxid(2n, 1));
  });

  it('never elects an observer; the observer learns the leader and gets commits', () => {
    const c = new TestCluster([1, 2, 3], { observers: [4] });
    const leader = c.electLeader();
    expect(leader).toBe(3);
    expect(c.node(4).state).toMatchObject({ role: 'observing', leaderId: 3, ready: true });
    const r = c.node(3).propose(Buffer.from('x'));
    expect(r.ok).toBe(true);
    c.tick(2);
    expect(c.record(4).applied.map((e) => e.payload.toString())).toEqual(['x']);
  });

  it('waits for a quorum: one of three voters alone never leads', () => {
    const c = new TestCluster([1, 2, 3]);
    c.isolate(1);
    c.isolate(2);
    c.tick(30);
    for (const id of [1, 2, 3]) expect(c.node(id).state.ready).toBe(false);
    c.healAll();
    expect(c.electLeader()).toBe(3);
  });

  it('a restarted follower finds the established leader through the others\' replies', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.electLeader()).toBe(3);
    const epoch = c.node(3).state.epoch;
    c.node(1).restart({ acceptedEpoch: c.node(1).state.acceptedEpoch, currentEpoch: c.node(1).state.currentEpoch, snapshotZxid: 0n, log: [] });
    c.collect(1);
    c.tick(5);
    expect(c.node(1).state).toMatchObject({ role: 'following', leaderId: 3, ready: true });
    expect(c.node(3).state.epoch).toBe(epoch);
  });
});
