/**
 * `npm run server -- <zoo.cfg>`: one node in the foreground. A config without server.N lines is standalone.
 * SIGINT / SIGTERM close it cleanly.
 */
import { ConfigError, loadZooCfg } from '../config.ts';
import { startNode } from '../server/node.ts';
import { listenWhileRecovering, type RecoveringListener } from '../server/recovering-listener.ts';
import { recoverState } from '../server/recovery.ts';
import { isReplicated, prepareReplication } from '../server/replication/index.ts';
import { LogCorruptionError } from '../storage/index.ts';

function log(msg: string): void {
  process.stderr.write(`${new Date().toISOString()} ${msg}\n`);
}

async function main(): Promise<number> {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: npm run server -- <zoo.cfg>\n');
    return 2;
  }
  let config;
  try {
    config = loadZooCfg(file);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`Invalid config: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  for (const w of config.warnings) log(`WARN ${w}`);
  const onFatal = (e: Error) => {
    // Never retry a failed fdatasync: the kernel may have dropped the dirty pages. Stop, and let recovery decide.
    log(`FATAL: ${e.message}; stopping`);
    process.exit(3);
  };
  // Listen for signals before the port opens: a supervisor may send SIGTERM as soon as it sees the port, and the
  // default action would end the process without closing the log.
  const stopRequested = new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      log(`${sig} received, shutting down`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  // Started with --expose-gc (ZK_NODE_FLAGS), SIGUSR2 runs a full collection: what `jcmd <pid> GC.run` is to
  // ZooKeeper, so a benchmark can compare live heap after GC with live heap after GC.
  const fullGc = (globalThis as { gc?: () => void }).gc;
  if (typeof fullGc === 'function') {
    process.on('SIGUSR2', () => {
      fullGc();
      const m = process.memoryUsage();
      log(`SIGUSR2: full GC done, heap used ${(m.heapUsed / 2 ** 20).toFixed(1)} MB, ArrayBuffers ${(m.arrayBuffers / 2 ** 20).toFixed(1)} MB`);
    });
  }
  // Bind the client port before loading the snapshot and log, as ZooKeeper does: a large tree takes seconds to load,
  // and meanwhile clients are refused cleanly (and `ruok`/`srvr` answered) instead of seeing connection refused.
  // With clientPort=0 the node picks its port itself, so there is nothing to hold.
  let early: RecoveringListener | null = config.clientPort > 0 ? await listenWhileRecovering(config, log) : null;
  const releasePort = async (): Promise<void> => {
    const held = early;
    early = null;
    if (!held) return;
    await held.close();
    if (held.refused > 0) log(`refused ${held.refused} client connection(s) while recovering`);
  };
  let node;
  try {
    if (isReplicated(config)) {
      // server.N lines: a ZAB quorum peer (one line with standaloneEnabled=true stays standalone, as in ZooKeeper).
      const r = await prepareReplication(config, { log, onFatal });
      await releasePort();
      node = await startNode(config, { log, onFatal, replicator: r.replicator, tree: r.tree, storage: r.storage, replication: r });
      r.attach(node.pipeline);
      await r.replicator.start();
    } else {
      const recovered = await recoverState(config, { log, onFatal });
      await releasePort();
      node = await startNode(config, { log, onFatal, recovered });
    }
  } catch (e) {
    await releasePort();
    if (e instanceof LogCorruptionError) {
      log(`FATAL: cannot recover ${config.dataLogDir}: ${e.message}`);
      return 4;
    }
    throw e;
  }
  const addr = node.host.includes(':') ? `[${node.host}]` : node.host;
  process.stdout.write(`ensemble node listening on ${addr}:${node.port} (${isReplicated(config) ? `server.${config.myid}` : 'standalone'}, dataDir ${config.dataDir})\n`);

  await stopRequested;
  await node.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`fatal: ${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
