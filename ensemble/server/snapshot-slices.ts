/**
 * Drives a SnapshotInProgress to completion a few milliseconds at a time, yielding to the event loop between slices
 * so client requests, replication traffic and log writes go on while a big tree is encoded.
 */
import type { SnapshotInProgress } from '../tree/snapshot-in-progress.ts';

const SLICE_MS = 5;

/** The snapshot's bytes in pieces, or null if `stillWanted` turned false first (the snapshot is then cancelled). */
export async function finishInSlices(snapshot: SnapshotInProgress, stillWanted: () => boolean): Promise<readonly Buffer[] | null> {
  while (!snapshot.step(SLICE_MS)) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (!stillWanted()) {
      snapshot.cancel();
      return null;
    }
  }
  return snapshot.chunks();
}
