/**
 * The two systems under test behind one interface: our three-node ensemble (node processes) and Apache ZooKeeper 3.8
 * (three JVMs), started with the same tickTime/initLimit/syncLimit and forceSync on, each node on its own loopback
 * port and data dir. Workloads only see client addresses, process ids, and kill/restart of nodes.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { apacheZkJavaArgs, apacheZkUnavailable, startApacheZkEnsemble, trackProcess } from '../tests/helpers/apache-zk.ts';
import { startEnsemble } from '../tests/helpers/ensemble.ts';
import { fourLetterWord, waitForPort } from '../tests/helpers/ports.ts';

export type SystemName = 'ours' | 'zookeeper';

export interface Timing {
  tickTime: number;
  initLimit: number;
  syncLimit: number;
}

export interface BenchNode {
  readonly sid: number;
  /** host:port of this node's client listener. */
  readonly address: string;
  /** OS pid, or null while the node is down. */
  pid(): number | null;
  isRunning(): boolean;
  kill(): Promise<void>;
  /** Starts the node again on its data dir; resolves when its client port accepts connections. */
  restart(): Promise<void>;
}

export interface BenchSystem {
  readonly name: SystemName;
  readonly nodes: BenchNode[];
  /** Every node's address, comma-separated. */
  readonly connectString: string;
  /** The leader, once it leads with every running follower serving. */
  waitForLeader(timeoutMs?: number): Promise<BenchNode>;
  stop(): Promise<void>;
}

/** null when Apache ZooKeeper can run here, else why it cannot. */
export function zookeeperUnavailable(): string | null {
  return apacheZkUnavailable();
}

/** ZooKeeper's -Xmx for a run that loads `znodes`: `usual` unless that cannot hold them (ours has no such cap). */
export function zooKeeperHeap(znodes: number, usual: string): string {
  return znodes > 200_000 ? '1g' : usual;
}

/** znodes: how many the run will load (ZooKeeper's heap is sized for them). */
export async function startSystem(name: SystemName, timing: Timing, znodes = 0): Promise<BenchSystem> {
  return name === 'ours' ? startOurs(timing) : startZooKeeper(timing, zooKeeperHeap(znodes, '256m'));
}

async function startOurs(timing: Timing): Promise<BenchSystem> {
  // --expose-gc lets the heap rows force a full GC on a node (SIGUSR2), as they do on ZooKeeper's JVMs with jcmd.
  const flags = process.env.ZK_NODE_FLAGS ?? '';
  if (!flags.includes('--expose-gc')) process.env.ZK_NODE_FLAGS = `${flags} --expose-gc`.trim();
  const e = await startEnsemble({ size: 3, ...timing, config: { forceSync: 'yes' } });
  const nodes: BenchNode[] = e.nodes.map((n) => ({
    sid: n.sid,
    address: n.connectString,
    pid: () => n.server?.proc.pid ?? null,
    isRunning: () => n.server !== null,
    kill: () => n.kill(),
    async restart() {
      // Like ZooKeeper's row below: resolve when the client port accepts. Both open it before loading their state;
      // n.restart() itself waits until ours has recovered, which the serving rows measure.
      const started = n.restart();
      started.catch(() => undefined);
      await Promise.race([waitForPort(n.clientPort, '127.0.0.1', 600_000), started]);
    },
  }));
  return {
    name: 'ours',
    nodes,
    connectString: e.connectString,
    async waitForLeader(timeoutMs = 60_000) {
      const leader = await e.waitForLeader({ timeoutMs });
      return nodes.find((n) => n.sid === leader.sid)!;
    },
    stop: () => e.stop(),
  };
}

async function startZooKeeper(timing: Timing, heap: string): Promise<BenchSystem> {
  // forceSync: ZooKeeper's default is on (zookeeper.forceSync=yes), and the helper's zoo.cfg does not change it.
  const e = await startApacheZkEnsemble({ size: 3, ...timing, heap });
  const nodes: BenchNode[] = e.nodes.map((n) => {
    // Remember where the helper put this node's files so a killed JVM can be started again on the same data.
    const dir = n.server!.dir;
    return {
      sid: n.sid,
      address: n.connectString,
      pid: () => n.server?.proc.pid ?? null,
      isRunning: () => n.server !== null,
      kill: () => n.kill(),
      async restart() {
        if (n.server) throw new Error(`zookeeper node ${n.sid} is running`);
        const proc = spawn('java', apacheZkJavaArgs(path.join(dir, 'zoo.cfg'), { heap }), { stdio: ['ignore', 'pipe', 'pipe'] });
        n.server = trackProcess(proc, dir, '127.0.0.1', n.clientPort);
        await waitForPort(n.clientPort, '127.0.0.1', 600_000);
      },
    };
  });
  await e.waitForLeader(120_000);
  return {
    name: 'zookeeper',
    nodes,
    connectString: e.connectString,
    async waitForLeader(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const modes = await Promise.all(e.nodes.map((n) => (n.server ? n.mode() : Promise.resolve('down'))));
        const running = e.nodes.filter((n) => n.server).length;
        const leaderAt = modes.indexOf('leader');
        if (leaderAt >= 0 && modes.filter((m) => m === 'follower').length >= running - 1) return nodes[leaderAt]!;
        if (Date.now() > deadline) throw new Error(`zookeeper: no leader within ${timeoutMs} ms (${modes.join(', ')})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: () => e.stop(),
  };
}

/** True once the node answers `srvr` with a Mode (it serves clients). */
export async function isServing(address: string): Promise<boolean> {
  const port = Number(address.split(':')[1]);
  const out = await fourLetterWord(port, 'srvr', '127.0.0.1', 2000).catch(() => '');
  return /Mode: (leader|follower|standalone)/.test(out);
}
