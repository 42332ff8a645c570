/**
 * Fast Leader Election's vote arithmetic, kept free of node state so it can be tested alone.
 * Mirrors FastLeaderElection.totalOrderPredicate / termPredicate / checkLeader.
 */
import { ServerState, type Vote } from './messages.ts';

export interface TalliedVote extends Vote {
  state: ServerState;
}

/** True when `candidate` beats `current`: higher peer epoch, then higher zxid, then higher myid. */
export function voteBeats(candidate: Vote, current: Vote, isVoter: (id: number) => boolean): boolean {
  if (!isVoter(candidate.leader)) return false;
  if (candidate.peerEpoch !== current.peerEpoch) return candidate.peerEpoch > current.peerEpoch;
  if (candidate.zxid !== current.zxid) return candidate.zxid > current.zxid;
  return candidate.leader > current.leader;
}

/**
 * ZooKeeper's Vote.equals: once both sides have settled (FOLLOWING/LEADING) only the leader and
 * its epoch matter, since followers that joined at different times carry different zxids.
 */
export function sameVote(a: TalliedVote, b: TalliedVote): boolean {
  if (a.state !== ServerState.LOOKING && b.state !== ServerState.LOOKING) {
    return a.leader === b.leader && a.peerEpoch === b.peerEpoch;
  }
  return a.leader === b.leader && a.zxid === b.zxid && a.electionEpoch === b.electionEpoch && a.peerEpoch === b.peerEpoch;
}

/** Voters whose recorded vote matches `target` (plus extra ids that are known to hold it). */
export function supporters(
  votes: ReadonlyMap<number, TalliedVote>,
  target: TalliedVote,
  isVoter: (id: number) => boolean,
): Set<number> {
  const out = new Set<number>();
  for (const [id, v] of votes) if (isVoter(id) && sameVote(v, target)) out.add(id);
  return out;
}

export function isQuorum(count: number, voterCount: number): boolean {
  return count * 2 > voterCount;
}

/**
 * A leader learned from others is only trusted if we heard it claim LEADING itself;
 * a leader that is us must come from our own current round.
 */
export function leaderConfirmed(
  votes: ReadonlyMap<number, TalliedVote>,
  leader: number,
  myId: number,
  electionEpoch: bigint,
  logicalClock: bigint,
): boolean {
  if (leader === myId) return electionEpoch === logicalClock;
  return votes.get(leader)?.state === ServerState.LEADING;
}
