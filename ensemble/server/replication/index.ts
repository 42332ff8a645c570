/**
 * A replicated node's start-up: recover storage, build the ZabReplicator over a swappable tree, and — once the
 * node's pipeline exists — connect the pieces the pipeline does not know about: sessions created on other servers,
 * session activity relayed to the leader (which alone expires sessions), and SNAP restores replacing the tree.
 */
import type { ZooConfig } from '../../config.ts';
import type { Storage } from '../../storage/index.ts';
import type { Txn } from '../../tree/api.ts';
import { readPeerSecretFile } from '../peers/index.ts';
import type { Pipeline } from '../pipeline.ts';
import { recoverNode } from './recovery.ts';
import { SwappableTree } from './swappable-tree.ts';
import { ZabReplicator, type ReplicationStatus } from './zab-replicator.ts';

export { ZabReplicator, TICKS_PER_TICK, type ReplicationStatus, type ServerRole } from './zab-replicator.ts';
export { SwappableTree } from './swappable-tree.ts';

/** ZooKeeper's rule: server.N lines make a quorum peer, except a single one with standaloneEnabled=true. */
export function isReplicated(config: ZooConfig): boolean {
  return config.servers.length > 1 || (config.servers.length === 1 && !config.standaloneEnabled);
}

export interface PreparedReplication {
  replicator: ZabReplicator;
  tree: SwappableTree;
  storage: Storage;
  /** Call once the node's pipeline exists, then `replicator.start()`. */
  attach(pipeline: Pipeline): void;
  status(): ReplicationStatus;
}

export async function prepareReplication(config: ZooConfig, opts: { log?: (m: string) => void; onFatal?: (e: Error) => void } = {}): Promise<PreparedReplication> {
  if (config.myid === null) throw new Error('server.N lines need a myid file in dataDir');
  const log = opts.log ?? (() => {});
  const treeOptions = { superDigest: config.superDigest ?? undefined, extendedTypesEnabled: config.extendedTypesEnabled };
  const recovered = await recoverNode({
    dataDir: config.dataDir,
    dataLogDir: config.dataLogDir,
    forceSync: config.forceSync,
    tree: treeOptions,
    onFatal: opts.onFatal,
    log,
  });
  const tree = new SwappableTree(recovered.tree);
  const replicator = new ZabReplicator({
    myid: config.myid,
    servers: config.servers.map((s) => ({ sid: s.id, host: s.host, quorumPort: s.quorumPort, electionPort: s.electionPort, observer: s.type === 'observer' })),
    secret: config.quorumAuthSecretFile ? readPeerSecretFile(config.quorumAuthSecretFile) : null,
    tickTime: config.tickTime,
    initLimit: config.initLimit,
    syncLimit: config.syncLimit,
    snapCount: config.snapCount,
    snapRetainCount: config.snapRetainCount,
    storage: recovered.storage,
    durable: recovered.durable,
    treeZxid: recovered.tree.lastZxid,
    treeOptions,
    maxMessageBytes: { quorum: config.quorumMaxMessageBytes, election: config.electionMaxMessageBytes },
    log: (m) => log(`zab: ${m}`),
  });
  replicator.setSnapshotSource(tree);

  const attach = (pipeline: Pipeline): void => {
    const sessions = pipeline.sessions;
    // Every server knows every session (it is replicated state), so a client may reconnect to any of them.
    replicator.onCommitted((txn: Txn) => {
      if (txn.op.type === 'createSession' && !sessions.get(txn.hdr.sessionId)) {
        sessions.add(txn.hdr.sessionId, txn.op.timeout, txn.op.password);
      }
    });
    replicator.onRestore((next) => {
      tree.replace(next);
      const live = new Set<bigint>();
      for (const s of next.sessions()) {
        live.add(s.sessionId);
        if (!sessions.get(s.sessionId)) sessions.add(s.sessionId, s.timeout, s.password);
      }
      for (const s of [...sessions.all()]) if (!live.has(s.id)) sessions.remove(s.id);
    });
    // Client activity on this server keeps the session alive on the leader, which alone expires sessions.
    const touch = sessions.touch.bind(sessions);
    sessions.touch = (s, timeout) => {
      touch(s, timeout);
      replicator.touchSession(s.id);
    };
    replicator.onSessionActivity((ids) => {
      for (const id of ids) {
        const s = sessions.get(id);
        if (s && !s.closing) touch(s);
      }
    });
    replicator.onStateChange(() => {
      // A new leader gives every session a full timeout: followers' activity was relayed to the old leader.
      if (replicator.isLeader) for (const s of sessions.all()) touch(s);
    });
  };

  return { replicator, tree, storage: recovered.storage, attach, status: () => replicator.status() };
}
