/**
 * Starts Debian's Apache ZooKeeper 3.8 (QuorumPeerMain) on free loopback ports with data in a temp dir,
 * for differential and compatibility tests. Never relies on a system service.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts, waitForPort, fourLetterWord } from './ports.ts';

const JAVA_DIR = '/usr/share/java';
const JARS = [
  'zookeeper.jar',
  'zookeeper-jute.jar',
  'slf4j-api.jar',
  'slf4j-simple.jar',
  'metrics-core.jar',
  'snappy-java.jar',
  'commons-cli.jar',
  'jackson-annotations.jar',
  'jackson-core.jar',
  'jackson-databind.jar',
];

export const ZKCLI = '/usr/share/zookeeper/bin/zkCli.sh';
export const KAZOO_PYTHON = '/usr/bin/python3';

export function apacheZkClasspath(): string {
  const netty = fs.existsSync(JAVA_DIR)
    ? fs.readdirSync(JAVA_DIR).filter((f) => /^netty-[a-z-]+\.jar$/.test(f) && !/-\d/.test(f))
    : [];
  return ['/etc/zookeeper/conf', ...[...JARS, ...netty].map((j) => path.join(JAVA_DIR, j))].join(':');
}

/** Why Apache ZooKeeper cannot run here, or null when it can. */
export function apacheZkUnavailable(): string | null {
  if (!fs.existsSync(path.join(JAVA_DIR, 'zookeeper.jar'))) return 'Apache ZooKeeper is not installed (apt-get install zookeeper zookeeper-bin)';
  if (spawnSync('java', ['-version']).status !== 0) return 'java is not installed';
  return null;
}

export function kazooUnavailable(): string | null {
  const r = spawnSync(KAZOO_PYTHON, ['-c', 'import kazoo'], { encoding: 'utf8' });
  return r.status === 0 ? null : 'python3-kazoo is not installed for /usr/bin/python3 (apt-get install python3-kazoo)';
}

export function zkCliUnavailable(): string | null {
  return fs.existsSync(ZKCLI) ? null : 'zkCli.sh is not installed (apt-get install zookeeper-bin)';
}

export interface RunningServer {
  host: string;
  port: number;
  connectString: string;
  dir: string;
  proc: ChildProcess;
  /** Stops the process (SIGTERM, then SIGKILL) and removes its temp dir unless `keepDir`. */
  stop(opts?: { keepDir?: boolean }): Promise<void>;
  /** Sends a signal without cleaning up (for crash tests). */
  kill(signal?: NodeJS.Signals): void;
  /** Resolves when the process has exited. */
  exited(): Promise<void>;
  output(): string;
}

export interface ApacheZkOptions {
  tickTime?: number;
  /** Extra zoo.cfg lines, e.g. `{ extendedTypesEnabled: 'true' }`. */
  config?: Record<string, string>;
  /** JVM system properties, e.g. `{ 'zookeeper.DigestAuthenticationProvider.superDigest': '...' }`. */
  systemProperties?: Record<string, string>;
  /** The JVM's -Xmx (default 512m; a million znodes need about 1g). */
  heap?: string;
}

/** The `java` arguments that run one Apache ZooKeeper server on `cfgFile` (JMX log4j off, warnings only). */
export function apacheZkJavaArgs(cfgFile: string, opts: { heap?: string; systemProperties?: Record<string, string> } = {}): string[] {
  const props = Object.entries({
    'zookeeper.jmx.log4j.disable': 'true',
    'org.slf4j.simpleLogger.defaultLogLevel': 'warn',
    ...opts.systemProperties,
  }).map(([k, v]) => `-D${k}=${v}`);
  return [`-Xmx${opts.heap ?? '512m'}`, ...props, '-cp', apacheZkClasspath(), 'org.apache.zookeeper.server.quorum.QuorumPeerMain', cfgFile];
}

export function trackProcess(proc: ChildProcess, dir: string, host: string, port: number): RunningServer {
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve();
    else {
      // 'close' comes after stdout/stderr have drained, so output() is complete once exited() resolves; the timer
      // covers a grandchild that inherited the pipes and outlives the process.
      proc.once('close', () => resolve());
      proc.once('exit', () => setTimeout(resolve, 1000).unref());
    }
  });
  return {
    host,
    port,
    connectString: `${host}:${port}`,
    dir,
    proc,
    output: () => out,
    kill: (signal = 'SIGKILL') => {
      proc.kill(signal);
    },
    exited: () => exit,
    async stop(opts) {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exit;
        clearTimeout(t);
      } else {
        await exit;
      }
      if (!opts?.keepDir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A standalone Apache ZooKeeper 3.8 on a free 127.0.0.1 port, ready to serve when this resolves. */
export async function startApacheZk(opts: ApacheZkOptions = {}): Promise<RunningServer> {
  const why = apacheZkUnavailable();
  if (why) throw new Error(why);
  const [port, adminPort] = (await freePorts(2)) as [number, number];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apache-zk-'));
  const cfg = {
    tickTime: String(opts.tickTime ?? 2000),
    dataDir: path.join(dir, 'data'),
    clientPort: String(port),
    clientPortAddress: '127.0.0.1',
    'admin.enableServer': 'true',
    'admin.serverAddress': '127.0.0.1',
    'admin.serverPort': String(adminPort),
    '4lw.commands.whitelist': '*',
    maxClientCnxns: '0',
    ...opts.config,
  };
  fs.mkdirSync(cfg.dataDir, { recursive: true });
  const cfgFile = path.join(dir, 'zoo.cfg');
  fs.writeFileSync(cfgFile, Object.entries(cfg).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const proc = spawn('java', apacheZkJavaArgs(cfgFile, opts), { stdio: ['ignore', 'pipe', 'pipe'] });
  const server = trackProcess(proc, dir, '127.0.0.1', port);
  try {
    await waitForPort(port, '127.0.0.1', 60_000);
    // The port opens (and `ruok` says imok) before the server serves; `srvr` shows a Mode once it does.
    const deadline = Date.now() + 60_000;
    while (!(await fourLetterWord(port, 'srvr').catch(() => '')).includes('Mode:')) {
      if (Date.now() > deadline) throw new Error('Apache ZooKeeper did not start serving');
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (e) {
    await server.stop();
    throw new Error(`${(e as Error).message}\n${server.output()}`);
  }
  return server;
}

export interface ApacheZkEnsembleNode {
  sid: number;
  clientPort: number;
  connectString: string;
  /** null after kill(). */
  server: RunningServer | null;
  kill(): Promise<void>;
  /** `Mode:` from srvr: leader / follower, or 'down' / 'not serving'. */
  mode(): Promise<string>;
}

export interface ApacheZkEnsemble {
  nodes: ApacheZkEnsembleNode[];
  connectString: string;
  waitForLeader(timeoutMs?: number, among?: ApacheZkEnsembleNode[]): Promise<ApacheZkEnsembleNode>;
  stop(): Promise<void>;
}

/** N Apache ZooKeeper 3.8 JVMs on free loopback ports with server.N lines and myid files (for failover comparisons). */
/** heap: the JVM's -Xmx (default 256m; a million znodes need about 1g). */
export async function startApacheZkEnsemble(opts: { size?: number; tickTime?: number; initLimit?: number; syncLimit?: number; heap?: string } = {}): Promise<ApacheZkEnsemble> {
  const why = apacheZkUnavailable();
  if (why) throw new Error(why);
  const size = opts.size ?? 3;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'apache-zk-ensemble-'));
  const ports = await freePorts(size * 3);
  const sids = Array.from({ length: size }, (_, i) => i + 1);
  const serverLines = sids.map((sid, i) => `server.${sid}=127.0.0.1:${ports[i * 3 + 1]}:${ports[i * 3 + 2]}`);
  const nodes: ApacheZkEnsembleNode[] = sids.map((sid, i) => {
    const clientPort = ports[i * 3]!;
    const dir = path.join(root, `node${sid}`);
    const dataDir = path.join(dir, 'data');
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'myid'), `${sid}\n`);
    const cfg = [
      `tickTime=${opts.tickTime ?? 2000}`,
      `initLimit=${opts.initLimit ?? 10}`,
      `syncLimit=${opts.syncLimit ?? 5}`,
      `dataDir=${dataDir}`,
      `clientPort=${clientPort}`,
      'clientPortAddress=127.0.0.1',
      'admin.enableServer=false',
      '4lw.commands.whitelist=*',
      'maxClientCnxns=0',
      ...serverLines,
    ];
    const cfgFile = path.join(dir, 'zoo.cfg');
    fs.writeFileSync(cfgFile, cfg.join('\n') + '\n');
    const proc = spawn('java', apacheZkJavaArgs(cfgFile, { heap: opts.heap ?? '256m' }), { stdio: ['ignore', 'pipe', 'pipe'] });
    const node: ApacheZkEnsembleNode = {
      sid,
      clientPort,
      connectString: `127.0.0.1:${clientPort}`,
      server: trackProcess(proc, dir, '127.0.0.1', clientPort),
      async kill() {
        const s = node.server;
        node.server = null;
        if (!s) return;
        s.kill('SIGKILL');
        await s.exited();
      },
      async mode() {
        if (!node.server) return 'down';
        const out = await fourLetterWord(clientPort, 'srvr', '127.0.0.1', 2000).catch(() => '');
        if (out.includes('not currently serving')) return 'not serving';
        return /Mode: (\w+)/.exec(out)?.[1] ?? 'down';
      },
    };
    return node;
  });
  const ensemble: ApacheZkEnsemble = {
    nodes,
    connectString: nodes.map((n) => n.connectString).join(','),
    async waitForLeader(timeoutMs = 60_000, among = nodes) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const modes = await Promise.all(among.map((n) => n.mode()));
        const leader = among.find((_, i) => modes[i] === 'leader');
        if (leader && modes.filter((m) => m === 'follower').length >= 1) return leader;
        if (Date.now() > deadline) throw new Error(`Apache ZooKeeper ensemble: no leader (${modes.join(', ')})`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.server?.stop({ keepDir: true })));
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  return ensemble;
}
