/**
 * How a leader brings one learner up to date (LearnerHandler.syncFollower's decision):
 * DIFF sends what the learner lacks, TRUNC first cuts the learner's log back to the last zxid both
 * share (dropping an old epoch's uncommitted proposals), SNAP replaces its state when the leader no
 * longer holds the txns in memory or the diff would be larger than a snapshot is worth.
 */
export type SyncPlan =
  | { mode: 'DIFF'; sendFrom: number }
  | { mode: 'TRUNC'; truncateTo: bigint; sendFrom: number }
  | { mode: 'SNAP' };

export interface LeaderHistory {
  /** Zxid covered by the snapshot the in-memory log starts after (0 when the log is complete). */
  base: bigint;
  /** Zxids of the logged txns after base, ascending. */
  zxids: readonly bigint[];
}

/** sendFrom: index in history.zxids of the first txn to send. */
export function chooseSync(history: LeaderHistory, peerLastZxid: bigint, snapThreshold: number): SyncPlan {
  const { base, zxids } = history;
  const last = zxids.length > 0 ? zxids[zxids.length - 1]! : base;
  if (peerLastZxid === last) return { mode: 'DIFF', sendFrom: zxids.length };
  if (peerLastZxid > last) return { mode: 'TRUNC', truncateTo: last, sendFrom: zxids.length };
  if (peerLastZxid < base) return { mode: 'SNAP' };
  // Last index whose zxid <= peerLastZxid (-1 means the shared point is base itself).
  let lo = 0;
  let hi = zxids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (zxids[mid]! <= peerLastZxid) lo = mid + 1;
    else hi = mid;
  }
  const sendFrom = lo;
  if (zxids.length - sendFrom > snapThreshold) return { mode: 'SNAP' };
  const shared = sendFrom === 0 ? base : zxids[sendFrom - 1]!;
  if (shared === peerLastZxid) return { mode: 'DIFF', sendFrom };
  return { mode: 'TRUNC', truncateTo: shared, sendFrom };
}
