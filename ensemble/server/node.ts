/** One node: config → recovered state, replicator, tree, watches, sessions, pipeline, client listener, timers. */
import type { ZooConfig } from '../config.ts';
import { schedulePurge, SnapshotTrigger, type Storage } from '../storage/index.ts';
import type { DataTreeApi, WatchManagerApi } from '../tree/api.ts';
import { DataTree } from '../tree/data-tree.ts';
import { WatchManager } from '../tree/watches.ts';
import { ClientConnection, type ConnectionHandler } from './connection.ts';
import { ContainerManager } from './containers.ts';
import { answerFourLetterWord, type NodeStatus } from './four-letter.ts';
import { listen, type Listener } from './listener.ts';
import { LocalReplicator } from './local-replicator.ts';
import { Pipeline, type ClientLink } from './pipeline.ts';
import { recoverState } from './recovery.ts';
import type { Replicator } from './replicator.ts';
import { SessionTracker } from './sessions.ts';
import { ServerStats } from './stats.ts';
import { startAdminServer, type AdminServer } from './admin-http.ts';
import { cachedDataSize } from './data-size.ts';
import { prometheusText } from './prometheus.ts';
import { RequestMetrics } from './request-metrics.ts';
import { ServingGate } from './serving-gate.ts';

export interface NodeOptions {
  /**
   * A tree recovered from disk or synced from a leader. Without `tree` and `replicator`, the node recovers from
   * config.dataDir and runs standalone with a durable LocalReplicator. With a `tree` but no `replicator`, it runs
   * standalone in memory (nothing is written to disk).
   */
  tree?: DataTreeApi;
  /** Standalone: state the caller already recovered from config.dataDir (recoverState), e.g. while it held the port. */
  recovered?: { tree: DataTreeApi; storage: Storage };
  watches?: WatchManagerApi;
  /** How writes become committed (ZabReplicator when replicated); it must already be past `tree.lastZxid`. */
  replicator?: Replicator;
  /**
   * Replicated node (ZabReplicator): its role for srvr/mntr; only the serving leader expires sessions, and a server
   * that is not serving refuses client connections (as ZooKeeper does).
   */
  replication?: { status(): { role: 'leader' | 'follower' | 'observer' | 'looking'; serving: boolean; followers: number; syncedFollowers: number; pendingSyncs: number } };
  /** The storage behind an injected replicator, for metrics and closing; the node closes it on close(). */
  storage?: Storage;
  /** A log write or fdatasync failed; the node is unusable. Default: log it and close the node. */
  onFatal?: (err: Error) => void;
  log?: (msg: string) => void;
  /** Requests read from one connection and not yet answered before its reading pauses (default: zoo.cfg's). */
  maxOutstandingPerConnection?: number;
  /** Sessionless connections are closed after this (ZooKeeper: zookeeper.nio.sessionlessCnxnTimeout, 10 s). */
  handshakeTimeoutMs?: number;
}

export interface RunningNode {
  readonly host: string;
  readonly port: number;
  readonly tree: DataTreeApi;
  readonly pipeline: Pipeline;
  readonly replicator: Replicator;
  readonly storage: Storage | null;
  close(): Promise<void>;
}

export async function startNode(config: ZooConfig, opts: NodeOptions = {}): Promise<RunningNode> {
  const log = opts.log ?? (() => {});
  let onFatal = (e: Error) => {
    log(`FATAL: ${e.message}`);
    opts.onFatal?.(e);
  };
  let tree: DataTreeApi;
  let storage: Storage | null = opts.storage ?? null;
  let replicator: Replicator;
  if (opts.replicator) {
    tree = opts.tree ?? new DataTree({ superDigest: config.superDigest ?? undefined, extendedTypesEnabled: config.extendedTypesEnabled });
    replicator = opts.replicator;
  } else {
    if (opts.tree) tree = opts.tree;
    else {
      const recovered = opts.recovered ?? (await recoverState(config, { log, onFatal: (e) => onFatal(e) }));
      tree = recovered.tree;
      storage = recovered.storage;
    }
    const durableTree = tree;
    replicator = new LocalReplicator({
      storage,
      lastZxid: tree.lastZxid,
      snapshots: durableTree.beginSnapshot ? { trigger: new SnapshotTrigger({ snapCount: config.snapCount }), begin: () => durableTree.beginSnapshot!() } : undefined,
      onFatal: (e) => onFatal(e),
      log,
    });
  }
  const watches: WatchManagerApi = opts.watches ?? new WatchManager();
  const stats = new ServerStats();
  const requestMetrics = new RequestMetrics();
  const dataSize = cachedDataSize(tree);
  const sessions = new SessionTracker<ClientLink>(config.myid ?? 1, config.tickTime);
  // Sessions in a recovered tree get a full timeout to reconnect before they expire, as in ZooKeeper.
  for (const s of tree.sessions()) sessions.add(s.sessionId, s.timeout, s.password);
  const pipeline = new Pipeline({
    tree,
    watches,
    replicator,
    sessions,
    stats,
    minSessionTimeout: config.minSessionTimeout,
    maxSessionTimeout: config.maxSessionTimeout,
    superDigest: config.superDigest ?? undefined,
    maxSessions: config.maxSessions,
    maxWatchesPerSession: config.maxWatchesPerSession,
    log,
  });
  const connections = new Set<ClientConnection>();

  const status = (): NodeStatus => ({
    config,
    stats,
    mode: opts.replication ? replicatedMode(opts.replication.status().role) : 'standalone',
    replication: opts.replication?.status(),
    lastZxid: tree.lastZxid,
    nodeCount: tree.nodeCount,
    outstanding: [...connections].reduce((n, c) => n + c.outstanding, 0),
    connections: () =>
      [...connections].map((c) => ({
        remote: c.remote,
        interestOps: c.interestOps,
        outstanding: c.outstanding,
        packetsReceived: c.packetsReceived,
        packetsSent: c.packetsSent,
        sessionId: c.sessionId,
        lastOp: c.lastOp,
        established: c.established,
        timeout: c.timeout,
        lastCxid: c.lastCxid,
        lastZxid: c.lastZxid,
        lastResponseTime: c.lastResponseTime,
        lastLatency: c.lastLatency,
        latency: c.latency,
        resetStats: () => {
          c.packetsReceived = 0;
          c.packetsSent = 0;
          c.latency.reset();
        },
      })),
    sessions: () => [...sessions.all()].map((s) => ({ id: s.id, timeout: s.timeout, expiresAt: s.expiresAt })),
    ephemerals: () => {
      const out = new Map<bigint, string[]>();
      for (const s of tree.sessions()) {
        const paths = tree.getEphemerals(s.sessionId, '/');
        if (paths.length > 0) out.set(s.sessionId, paths);
      }
      return out;
    },
    watchCount: () => watches.count(),
    watchesByPath: () => watches.byPath(),
    watchesBySession: () => watches.bySession(),
    approximateDataSize: dataSize,
    storage: storage?.metrics ?? null,
  });

  // A tickTime, at most a second: about what an election and sync take on a quiet network.
  const servingGate = new ServingGate(() => replicator.state === 'serving', Math.min(1000, config.tickTime));
  const handler: ConnectionHandler = {
    fourLetterWord: (word) => answerFourLetterWord(word, status),
    connect: async (conn, req) => ((await servingGate.wait()) ? pipeline.connect(conn, req) : null),
    request: (conn, xid, type, body) => pipeline.submit(conn, xid, type, body),
    closed: (conn) => {
      connections.delete(conn);
      pipeline.disconnected(conn);
    },
    onPacket: (direction) => {
      if (direction === 'in') stats.packetsReceived++;
      else stats.packetsSent++;
    },
    onLatency: (ms, opcode, preciseMs) => {
      stats.latency.record(ms);
      requestMetrics.record(opcode, preciseMs ?? ms);
    },
    log,
  };

  const limits = {
    maxFrame: config.juteMaxBuffer,
    maxOutstanding: opts.maxOutstandingPerConnection ?? config.maxOutstandingPerConnection,
    handshakeTimeoutMs: opts.handshakeTimeoutMs ?? 10_000,
  };

  const listening = listen({
    host: config.clientPortAddress,
    port: config.clientPort,
    maxClientCnxns: config.maxClientCnxns,
    maxCnxns: config.maxCnxns,
    onConnection: (socket) => {
      try {
        const conn = new ClientConnection(socket, handler, limits);
        connections.add(conn);
      } catch (e) {
        log(`cannot accept a connection: ${(e as Error).message}`);
        socket.destroy();
      }
    },
    onRejected: (ip, total) => {
      stats.connectionRejected++;
      if (total) log(`Too many connections in total (maxCnxns ${config.maxCnxns}); refusing /${ip}`);
      else log(`Too many connections from /${ip} - max is ${config.maxClientCnxns}`);
    },
  });
  let listener: Listener;
  try {
    listener = await listening;
  } catch (e) {
    // Port taken: release the log (and its fd) before failing start-up.
    await pipeline.close().catch(() => undefined);
    await storage?.close().catch(() => undefined);
    throw e;
  }

  const expiryTimer = setInterval(() => {
    try {
      const r = opts.replication?.status();
      if (!r || (r.role === 'leader' && r.serving)) pipeline.expireSessions();
    } catch (e) {
      log(`session expiry check failed: ${(e as Error).message}`);
    }
  }, config.tickTime);
  expiryTimer.unref();

  const purge = storage
    ? schedulePurge({
        purgeIntervalHours: config.purgeInterval,
        purge: () => storage!.purge(config.snapRetainCount),
        onError: (e) => log(`autopurge failed: ${(e as Error).message}`),
      })
    : { stop() {} };

  replicator.onStateChange((state) => {
    // Not serving: clients must go to another server (ZooKeeper closes every connection when it stops serving).
    if (state === 'unavailable') for (const c of connections) c.close('server not serving');
    else servingGate.servingNow();
  });

  const containers = new ContainerManager(tree, config.containerCheckIntervalMs, (op) => pipeline.propose(0n, 0, [], op));
  containers.start((e) => log(`container check failed: ${e.message}`));

  let admin: AdminServer | null = null;
  if (config.adminEnableServer) {
    try {
      admin = await startAdminServer({
        host: config.adminServerAddress,
        port: config.adminServerPort,
        status,
        metrics: () => prometheusText(status(), requestMetrics),
        log,
      });
      log(`admin server listening on http://${config.adminServerAddress}:${admin.port}/commands`);
    } catch (e) {
      // ZooKeeper logs and runs on without its AdminServer when the port is taken.
      log(`WARN admin server not started on ${config.adminServerAddress}:${config.adminServerPort}: ${(e as Error).message}`);
    }
  }

  let closing: Promise<void> | null = null;
  const node: RunningNode = {
    host: listener.host,
    port: listener.port,
    tree,
    pipeline,
    replicator,
    storage,
    close() {
      closing ??= (async () => {
        clearInterval(expiryTimer);
        containers.stop();
        purge.stop();
        servingGate.close();
        for (const c of connections) c.close('server shutting down');
        await admin?.close();
        await listener.close();
        await pipeline.close();
        await storage?.close().catch((e: Error) => log(`closing storage: ${e.message}`));
      })();
      return closing;
    },
  };
  const reportFatal = onFatal;
  onFatal = (e) => {
    reportFatal(e);
    if (!opts.onFatal) void node.close();
  };
  return node;
}

function replicatedMode(role: 'leader' | 'follower' | 'observer' | 'looking'): NodeStatus['mode'] {
  return role === 'looking' ? 'follower' : role;
}
