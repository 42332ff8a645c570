/**
 * Start-up recovery: open the node's storage, load the newest valid snapshot and replay the log after it.
 * Storage cuts a torn log tail (and logs it); a corrupt record with valid records after it throws
 * LogCorruptionError, which must stop the node with that message rather than silently drop history.
 */
import type { ZooConfig } from '../config.ts';
import { decodeTxn } from '../jute/txn.ts';
import { Storage } from '../storage/index.ts';
import { DataTree } from '../tree/data-tree.ts';

export interface RecoveredState {
  storage: Storage;
  tree: DataTree;
  /** Txns replayed from the log on top of the snapshot. */
  replayed: number;
  snapshotZxid: bigint | null;
}

export interface RecoveryOptions {
  log?: (msg: string) => void;
  /** Called once if a later log write or fdatasync fails. */
  onFatal?: (err: Error) => void;
}

export async function recoverState(config: ZooConfig, opts: RecoveryOptions = {}): Promise<RecoveredState> {
  const log = opts.log ?? (() => {});
  const treeOptions = { superDigest: config.superDigest ?? undefined, extendedTypesEnabled: config.extendedTypesEnabled };
  const storage = await Storage.open({
    dataDir: config.dataDir,
    dataLogDir: config.dataLogDir,
    forceSync: config.forceSync,
    preAllocSize: config.preAllocSize,
    onFatal: (e) => opts.onFatal?.(e),
    log: (m) => log(`storage: ${m}`),
  });
  try {
    const recovered = await storage.recover();
    const tree = recovered.snapshot ? DataTree.deserialize(recovered.snapshot.data, treeOptions) : new DataTree(treeOptions);
    for (const record of recovered.txns) {
      const txn = decodeTxn(record.bytes);
      if (txn.hdr.zxid !== record.zxid) throw new Error(`log record 0x${record.zxid.toString(16)} holds txn 0x${txn.hdr.zxid.toString(16)}`);
      tree.apply(txn);
    }
    if (tree.lastZxid !== recovered.lastZxid && recovered.txns.length > 0) {
      throw new Error(`recovered tree is at 0x${tree.lastZxid.toString(16)}, the log at 0x${recovered.lastZxid.toString(16)}`);
    }
    log(
      `recovered ${recovered.snapshot ? `snapshot 0x${recovered.snapshot.zxid.toString(16)}` : 'no snapshot'} + ${recovered.txns.length} logged txns; ` +
        `last zxid 0x${recovered.lastZxid.toString(16)}, ${[...tree.sessions()].length} sessions`,
    );
    return { storage, tree, replayed: recovered.txns.length, snapshotZxid: recovered.snapshot?.zxid ?? null };
  } catch (e) {
    await storage.close().catch(() => undefined);
    throw e;
  }
}
