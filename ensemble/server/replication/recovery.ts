/**
 * Start-up of a replicated node: the newest snapshot becomes the tree, and the log after it becomes ZAB's
 * durable history — NOT applied here: ZabNode applies it only once a leader confirms it is committed
 * (an uncommitted tail of an old epoch may still be truncated by the new leader).
 */
import { ownedCopy } from '../../jute/buffer.ts';
import { Storage } from '../../storage/index.ts';
import { DataTree } from '../../tree/data-tree.ts';
import type { TreeOptions } from '../../tree/api.ts';
import type { DurableState } from '../../zab/index.ts';

export interface RecoveredNode {
  storage: Storage;
  tree: DataTree;
  durable: DurableState;
}

export interface RecoveryOptions {
  dataDir: string;
  dataLogDir?: string;
  forceSync?: boolean;
  tree?: TreeOptions;
  onFatal?: (err: Error) => void;
  log?: (msg: string) => void;
}

export async function recoverNode(o: RecoveryOptions): Promise<RecoveredNode> {
  const storage = await Storage.open({
    dataDir: o.dataDir,
    dataLogDir: o.dataLogDir,
    forceSync: o.forceSync,
    onFatal: o.onFatal,
    log: o.log ? (m) => o.log!(`[storage] ${m}`) : undefined,
  });
  const started = performance.now();
  const recovered = await storage.recover();
  const read = performance.now();
  const tree = recovered.snapshot ? DataTree.deserialize(recovered.snapshot.data, o.tree) : new DataTree(o.tree);
  const loaded = performance.now();
  const durable: DurableState = {
    acceptedEpoch: (await storage.readEpoch('accepted')) ?? 0n,
    currentEpoch: (await storage.readEpoch('current')) ?? 0n,
    snapshotZxid: recovered.snapshot?.zxid ?? 0n,
    // The records are views into whole log files read at once: copies, so the files are not kept alive.
    log: recovered.txns.map((r) => ({ zxid: r.zxid, payload: ownedCopy(r.bytes) })),
  };
  // As ZooKeeper's "Snapshot loaded in N ms": where a slow start-up goes (disk and checks, or building the tree).
  o.log?.(
    `recovered ${recovered.snapshot ? `snapshot 0x${recovered.snapshot.zxid.toString(16)} (${tree.nodeCount} znodes)` : 'no snapshot'}` +
      ` + ${durable.log.length} logged txns: read and checked in ${(read - started).toFixed(0)} ms, tree built in ${(loaded - read).toFixed(0)} ms`,
  );
  return { storage, tree, durable };
}
