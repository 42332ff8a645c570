/** ZooKeeper's on-disk names: `version-2/log.<hex zxid>`, `version-2/snapshot.<hex zxid>`, epoch files. */

export const VERSION_DIR = 'version-2';
export const LOG_PREFIX = 'log';
export const SNAPSHOT_PREFIX = 'snapshot';
export const ACCEPTED_EPOCH_FILE = 'acceptedEpoch';
export const CURRENT_EPOCH_FILE = 'currentEpoch';
export const TEMP_SUFFIX = '.tmp';

export interface ZxidFile {
  name: string;
  zxid: bigint;
}

export function zxidFileName(prefix: string, zxid: bigint): string {
  return `${prefix}.${zxid.toString(16)}`;
}

/** The zxid in a name like `log.1a2b`, or null for anything else (temp files, foreign files). */
export function zxidFromName(name: string, prefix: string): bigint | null {
  const match = /^([a-z]+)\.([0-9a-fA-F]{1,16})$/.exec(name);
  if (!match || match[1] !== prefix || match[2] === undefined) return null;
  return BigInt(`0x${match[2]}`);
}

/** The files of one kind in a directory listing, oldest (smallest zxid) first. */
export function filesByZxid(names: readonly string[], prefix: string): ZxidFile[] {
  const files: ZxidFile[] = [];
  for (const name of names) {
    const zxid = zxidFromName(name, prefix);
    if (zxid !== null) files.push({ name, zxid });
  }
  return files.sort((a, b) => (a.zxid < b.zxid ? -1 : a.zxid > b.zxid ? 1 : 0));
}

/**
 * The log files that may hold txns after `zxid`: every file starting after it, plus the newest file
 * starting at or before it (it may run past `zxid`). Same rule as ZooKeeper's FileTxnLog.getLogFiles.
 */
export function logFilesAfter(logs: readonly ZxidFile[], zxid: bigint): ZxidFile[] {
  let firstNeeded = 0;
  logs.forEach((log, index) => {
    if (log.zxid <= zxid) firstNeeded = index;
  });
  return logs.slice(firstNeeded);
}

export function hexZxid(zxid: bigint): string {
  return `0x${zxid.toString(16)}`;
}
