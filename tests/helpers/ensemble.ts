/**
 * A three-node (or N-node) ensemble of our server processes on free loopback ports, each with its own dataDir,
 * for replication, partition and linearizability tests. Nodes can be SIGKILLed and restarted on the same dataDir.
 *
 * With `throughProxy`, every peer link goes through a TcpProxy per direction: node i's zoo.cfg lists its own
 * server.i line with its real quorum/election ports (where it listens) and every other server.j line with the ports
 * of the proxies i→j (what it dials). `isolate(sid)` / `partition(...)` then cut links without touching processes.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { trackProcess, type RunningServer } from './apache-zk.ts';
import { serverNodeArgs } from '../../ensemble/cli/server-bundle.ts';
import { REPO_ROOT, waitUntilStarted } from './our-server.ts';
import { fourLetterWord, freePorts } from './ports.ts';
import { TcpProxy, type ProxyMode } from './tcp-proxy.ts';
import { ZkClient } from '../../ensemble/client/index.ts';

export interface EnsembleOptions {
  size?: number;
  tickTime?: number;
  initLimit?: number;
  syncLimit?: number;
  throughProxy?: boolean;
  /** Extra zoo.cfg lines for every node. */
  config?: Record<string, string>;
}

export type Mode = 'leader' | 'follower' | 'observer' | 'standalone' | 'not serving' | 'down';

export interface EnsembleNode {
  readonly sid: number;
  readonly clientPort: number;
  readonly connectString: string;
  readonly dir: string;
  /** The running process, or null while killed. */
  server: RunningServer | null;
  /** SIGKILL, and wait until the process is gone. */
  kill(): Promise<void>;
  /** Start again on the same dataDir (after kill/stop), with `env` added to the process's environment. */
  restart(opts?: { env?: Record<string, string> }): Promise<void>;
  /** SIGTERM (clean shutdown). */
  stop(): Promise<void>;
  /** Mode from `srvr` ('down' when the process is not running or does not answer). */
  mode(): Promise<Mode>;
  /** Zxid from `srvr`, or null when not serving. */
  zxid(): Promise<bigint | null>;
  output(): string;
}

export interface Ensemble {
  readonly nodes: EnsembleNode[];
  /** Every node's client address. */
  readonly connectString: string;
  node(sid: number): EnsembleNode;
  leader(): Promise<EnsembleNode | null>;
  /** Resolves with the leader once one leads and `minFollowers` followers serve (default: all other running nodes). */
  waitForLeader(opts?: { timeoutMs?: number; minFollowers?: number; among?: EnsembleNode[] }): Promise<EnsembleNode>;
  /** Cuts every link between `sid` and the others (throughProxy only). */
  isolate(sid: number, mode?: ProxyMode): void;
  /** Cuts every link between the two groups (throughProxy only). */
  partition(a: number[], b: number[], mode?: ProxyMode): void;
  heal(): void;
  stop(): Promise<void>;
}

export async function startEnsemble(opts: EnsembleOptions = {}): Promise<Ensemble> {
  const size = opts.size ?? 3;
  const tickTime = opts.tickTime ?? 200;
  const initLimit = opts.initLimit ?? 10;
  const syncLimit = opts.syncLimit ?? 5;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'our-ensemble-'));
  const ports = await freePorts(size * 3);
  const sids = Array.from({ length: size }, (_, i) => i + 1);
  const real = new Map(sids.map((sid, i) => [sid, { client: ports[i * 3]!, quorum: ports[i * 3 + 1]!, election: ports[i * 3 + 2]! }]));

  // proxies.get(`${i}>${j}`): what node i dials to reach node j.
  const proxies = new Map<string, { quorum: TcpProxy; election: TcpProxy }>();
  if (opts.throughProxy) {
    for (const i of sids) {
      for (const j of sids) {
        if (i === j) continue;
        const target = real.get(j)!;
        proxies.set(`${i}>${j}`, { quorum: await TcpProxy.start(target.quorum), election: await TcpProxy.start(target.election) });
      }
    }
  }

  const nodes: EnsembleNode[] = sids.map((sid) => {
    const dir = path.join(root, `node${sid}`);
    const dataDir = path.join(dir, 'data');
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'myid'), `${sid}\n`);
    const me = real.get(sid)!;
    const serverLines: Record<string, string> = {};
    for (const j of sids) {
      const p = j === sid || !opts.throughProxy ? real.get(j)! : { quorum: proxies.get(`${sid}>${j}`)!.quorum.port, election: proxies.get(`${sid}>${j}`)!.election.port };
      serverLines[`server.${j}`] = `127.0.0.1:${p.quorum}:${p.election}`;
    }
    const cfg: Record<string, string> = {
      tickTime: String(tickTime),
      initLimit: String(initLimit),
      syncLimit: String(syncLimit),
      dataDir,
      clientPort: String(me.client),
      clientPortAddress: '127.0.0.1',
      'admin.enableServer': 'false',
      '4lw.commands.whitelist': '*',
      maxClientCnxns: '0',
      ...opts.config,
      ...serverLines,
    };
    const cfgFile = path.join(dir, 'zoo.cfg');
    fs.writeFileSync(cfgFile, Object.entries(cfg).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');

    let history = '';
    const node: EnsembleNode = {
      sid,
      clientPort: me.client,
      connectString: `127.0.0.1:${me.client}`,
      dir,
      server: null,
      async kill() {
        const s = node.server;
        if (!s) return;
        node.server = null;
        s.kill('SIGKILL');
        await s.exited();
        history += s.output();
      },
      async restart(restartOpts = {}) {
        if (node.server) throw new Error(`node ${sid} is running`);
        const proc = spawn(process.execPath, [...(await serverNodeArgs()), cfgFile], {
          cwd: REPO_ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, ...restartOpts.env },
        });
        const s = trackProcess(proc, dir, '127.0.0.1', me.client);
        node.server = s;
        try {
          // Started = recovered and listening (the port itself opens before recovery and refuses sessions meanwhile).
          await Promise.race([
            waitUntilStarted(s, 60_000),
            s.exited().then(() => {
              throw new Error(`node ${sid} exited during start-up`);
            }),
          ]);
        } catch (e) {
          throw new Error(`${(e as Error).message}\n${s.output()}`);
        }
      },
      async stop() {
        const s = node.server;
        if (!s) return;
        node.server = null;
        await s.stop({ keepDir: true });
        history += s.output();
      },
      async mode() {
        if (!node.server) return 'down';
        const out = await fourLetterWord(me.client, 'srvr', '127.0.0.1', 2000).catch(() => '');
        if (out.includes('not currently serving')) return 'not serving';
        const m = /Mode: (\w+)/.exec(out);
        return m ? (m[1] as Mode) : 'down';
      },
      async zxid() {
        if (!node.server) return null;
        const out = await fourLetterWord(me.client, 'srvr', '127.0.0.1', 2000).catch(() => '');
        const m = /Zxid: (0x[0-9a-f]+)/.exec(out);
        return m ? BigInt(m[1]!) : null;
      },
      output: () => history + (node.server?.output() ?? ''),
    };
    return node;
  });

  const setLinks = (a: number[], b: number[], mode: ProxyMode) => {
    if (!opts.throughProxy) throw new Error('partitions need startEnsemble({ throughProxy: true })');
    for (const i of a) {
      for (const j of b) {
        for (const key of [`${i}>${j}`, `${j}>${i}`]) {
          const p = proxies.get(key);
          p?.quorum.setMode(mode);
          p?.election.setMode(mode);
        }
      }
    }
  };

  const ensemble: Ensemble = {
    nodes,
    connectString: nodes.map((n) => n.connectString).join(','),
    node: (sid) => {
      const n = nodes.find((x) => x.sid === sid);
      if (!n) throw new Error(`no node ${sid}`);
      return n;
    },
    async leader() {
      for (const n of nodes) if ((await n.mode()) === 'leader') return n;
      return null;
    },
    async waitForLeader(o = {}) {
      const deadline = Date.now() + (o.timeoutMs ?? 30_000);
      for (;;) {
        const among = o.among ?? nodes;
        const modes = await Promise.all(among.map((n) => n.mode()));
        const leaders = among.filter((_, i) => modes[i] === 'leader');
        const running = among.filter((n) => n.server).length;
        const followers = modes.filter((m) => m === 'follower').length;
        if (leaders.length === 1 && followers >= (o.minFollowers ?? running - 1)) return leaders[0]!;
        if (Date.now() > deadline) {
          throw new Error(`no leader within ${o.timeoutMs ?? 30_000} ms; modes ${modes.join(', ')}\n${nodes.map((n) => `--- node ${n.sid}\n${n.output().slice(-3000)}`).join('\n')}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    isolate(sid, mode = 'blackhole') {
      setLinks([sid], sids.filter((s) => s !== sid), mode);
    },
    partition(a, b, mode = 'blackhole') {
      setLinks(a, b, mode);
    },
    heal() {
      for (const p of proxies.values()) {
        p.quorum.setMode('pass');
        p.election.setMode('pass');
      }
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
      for (const p of proxies.values()) await Promise.all([p.quorum.close(), p.election.close()]);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };

  try {
    await Promise.all(nodes.map((n) => n.restart()));
  } catch (e) {
    await ensemble.stop();
    throw e;
  }
  return ensemble;
}

/**
 * A whole ensemble behind the RunningServer interface (for suites written against one server): clients connect to
 * one follower, so every write is forwarded to the leader; stop() stops every node.
 */
export async function startEnsembleAsServer(opts: EnsembleOptions = {}): Promise<RunningServer> {
  const e = await startEnsemble({ tickTime: 2000, initLimit: 10, syncLimit: 5, ...opts });
  try {
    const leader = await e.waitForLeader({ timeoutMs: 60_000 });
    const node = e.nodes.find((n) => n !== leader) ?? leader;
    const server = node.server!;
    return {
      host: '127.0.0.1',
      port: node.clientPort,
      connectString: node.connectString,
      dir: node.dir,
      proc: server.proc,
      stop: () => e.stop(),
      kill: (signal) => server.kill(signal),
      exited: () => server.exited(),
      output: () => e.nodes.map((n) => `--- node ${n.sid}\n${n.output()}`).join('\n'),
    };
  } catch (err) {
    await e.stop();
    throw err;
  }
}

/** The children of `path` as `node` alone sees them, after a sync (so everything committed before is applied). */
export async function childrenOn(node: EnsembleNode, path: string, sessionTimeout = 4000): Promise<Set<string>> {
  const c = await ZkClient.connect(node.connectString, { sessionTimeout });
  try {
    await c.sync(path);
    return new Set(await c.getChildren(path));
  } finally {
    await c.close().catch(() => {});
  }
}

/** Sessions a test opens, closed together after it (a failed test must not leave sessions pinging). */
export class ClientPool {
  private readonly clients: ZkClient[] = [];

  constructor(private readonly sessionTimeout: number) {}

  async connect(connectString: string, sessionTimeout = this.sessionTimeout): Promise<ZkClient> {
    const c = await ZkClient.connect(connectString, { sessionTimeout });
    this.clients.push(c);
    return c;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((c) => c.close().catch(() => {})));
  }
}
