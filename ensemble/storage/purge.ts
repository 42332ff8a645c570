/**
 * Autopurge (ZooKeeper's PurgeTxnLog + DatadirCleanupManager): keep the newest N snapshots and every
 * log file that may hold txns after the oldest kept one, delete the rest.
 */
import type { FileSystem } from './fs.ts';
import { LOG_PREFIX, SNAPSHOT_PREFIX, filesByZxid, logFilesAfter, type ZxidFile } from './file-names.ts';
import type { StorageLogger } from './log-reader.ts';

export const MIN_SNAP_RETAIN_COUNT = 3;

export interface PurgePlan {
  /** Zxid of the oldest snapshot kept; null when there are no snapshots (nothing is deleted then). */
  oldestKeptSnapshotZxid: bigint | null;
  snapshotsToRemove: string[];
  logsToRemove: string[];
}

/** Pure: which files a purge would delete. `snapRetainCount` below 3 counts as 3, as in ZooKeeper. */
export function planPurge(snapshots: readonly ZxidFile[], logs: readonly ZxidFile[], snapRetainCount: number): PurgePlan {
  const retain = Math.max(MIN_SNAP_RETAIN_COUNT, Math.floor(snapRetainCount));
  const kept = snapshots.slice(-retain);
  const oldestKept = kept[0];
  if (!oldestKept) return { oldestKeptSnapshotZxid: null, snapshotsToRemove: [], logsToRemove: [] };
  const neededLogs = new Set(logFilesAfter(logs, oldestKept.zxid).map((f) => f.name));
  return {
    oldestKeptSnapshotZxid: oldestKept.zxid,
    snapshotsToRemove: snapshots.filter((s) => s.zxid < oldestKept.zxid).map((s) => s.name),
    logsToRemove: logs.filter((l) => l.zxid < oldestKept.zxid && !neededLogs.has(l.name)).map((l) => l.name),
  };
}

export interface PurgeDirs {
  snapDir: string;
  logDir: string;
}

export async function purgeOldFiles(fs: FileSystem, dirs: PurgeDirs, snapRetainCount: number, log: StorageLogger): Promise<PurgePlan> {
  const plan = planPurge(
    filesByZxid(await fs.list(dirs.snapDir), SNAPSHOT_PREFIX),
    filesByZxid(await fs.list(dirs.logDir), LOG_PREFIX),
    snapRetainCount,
  );
  // Logs first: if we crash halfway, every remaining snapshot still has the logs it needs.
  for (const name of plan.logsToRemove) {
    log(`purge: removing ${dirs.logDir}/${name}`);
    await fs.remove(`${dirs.logDir}/${name}`);
  }
  for (const name of plan.snapshotsToRemove) {
    log(`purge: removing ${dirs.snapDir}/${name}`);
    await fs.remove(`${dirs.snapDir}/${name}`);
  }
  return plan;
}

export interface PurgeSchedule {
  stop(): void;
}

/**
 * Runs `purge` now and then every `purgeIntervalHours` (ZooKeeper's autopurge.purgeInterval; 0 = off).
 * A run still going when the next is due is not doubled. The timer does not keep the process alive.
 */
export function schedulePurge(options: {
  purgeIntervalHours: number;
  purge: () => Promise<unknown>;
  onError?: (err: unknown) => void;
}): PurgeSchedule {
  if (!(options.purgeIntervalHours > 0)) return { stop() {} };
  let running = false;
  const runOnce = (): void => {
    if (running) return;
    running = true;
    options
      .purge()
      .catch((err: unknown) => options.onError?.(err))
      .finally(() => {
        running = false;
      });
  };
  const timer = setInterval(runOnce, options.purgeIntervalHours * 3_600_000);
  timer.unref();
  const first = setTimeout(runOnce, 0);
  first.unref();
  return {
    stop() {
      clearInterval(timer);
      clearTimeout(first);
    },
  };
}
