/**
 * Four-letter words, formatted as ZooKeeper 3.8 prints them (captured from the real server).
 * Only whitelisted words answer; a known word outside the whitelist gets ZooKeeper's refusal text.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ALL_FOUR_LETTER_WORDS, type ZooConfig } from '../config.ts';
import type { StorageMetrics } from '../storage/index.ts';
import { maxFileDescriptorCount, openFileDescriptorCount } from './process-info.ts';
import { javaDouble, type ServerStats } from './stats.ts';

export const SERVER_VERSION = '3.8.0-ensemble, built on 2024-01-01 00:00 UTC';

export interface ConnectionView {
  remote: string;
  /** 1 = reading, 4 = output pending (ZooKeeper's SelectionKey interest ops). */
  interestOps: number;
  outstanding: number;
  packetsReceived: number;
  packetsSent: number;
  sessionId: bigint;
  lastOp: string;
  established: number;
  timeout: number;
  lastCxid: number;
  lastZxid: bigint;
  lastResponseTime: number;
  lastLatency: number;
  latency: { minOrZero: number; avg: number; max: number; reset(): void };
  resetStats(): void;
}

export interface SessionView {
  id: bigint;
  timeout: number;
  expiresAt: number;
}

export interface NodeStatus {
  config: ZooConfig;
  stats: ServerStats;
  mode: 'standalone' | 'leader' | 'follower' | 'observer';
  lastZxid: bigint;
  nodeCount: number;
  outstanding: number;
  connections(): ConnectionView[];
  sessions(): SessionView[];
  ephemerals(): Map<bigint, string[]>;
  watchCount(): number;
  watchesByPath(): Map<string, bigint[]>;
  watchesBySession(): Map<bigint, string[]>;
  approximateDataSize(): number;
  /** The transaction log and snapshots behind this node (fsync times, sizes), when it has any. */
  storage?: Readonly<StorageMetrics> | null;
  /** Replicated nodes only: whether it serves, and the leader's follower counts (mntr). */
  replication?: { serving: boolean; followers: number; syncedFollowers: number; pendingSyncs: number };
}

/** What ZooKeeper answers srvr/stat/mntr with while it is looking for a leader or syncing. */
export const NOT_SERVING = 'This ZooKeeper instance is not currently serving requests\n';
const servingWords = new Set(['srvr', 'stat', 'mntr', 'cons', 'wchs', 'wchc', 'wchp', 'dump', 'crst', 'srst']);

const hex = (n: bigint) => `0x${n.toString(16)}`;

function serverSummary(s: NodeStatus): string {
  const l = s.stats.latency;
  return (
    `Latency min/avg/max: ${l.minOrZero}/${javaDouble(l.avg)}/${l.max}\n` +
    `Received: ${s.stats.packetsReceived}\n` +
    `Sent: ${s.stats.packetsSent}\n` +
    `Connections: ${s.connections().length}\n` +
    `Outstanding: ${s.outstanding}\n` +
    `Zxid: ${hex(s.lastZxid)}\n` +
    `Mode: ${s.mode}\n` +
    `Node count: ${s.nodeCount}\n`
  );
}

function connectionLine(c: ConnectionView, full: boolean): string {
  let out = ` ${c.remote}[${c.interestOps}](queued=${c.outstanding},recved=${c.packetsReceived},sent=${c.packetsSent}`;
  if (full && c.sessionId !== 0n) {
    out +=
      `,sid=${hex(c.sessionId)},lop=${c.lastOp},est=${c.established},to=${c.timeout}` +
      `,lcxid=0x${(c.lastCxid >>> 0).toString(16)},lzxid=${c.lastZxid < 0n ? '0xffffffffffffffff' : hex(c.lastZxid)}` +
      `,lresp=${c.lastResponseTime},llat=${c.lastLatency}` +
      `,minlat=${c.latency.minOrZero},avglat=${Math.round(c.latency.avg)},maxlat=${c.latency.max}`;
  }
  return out + ')\n';
}

export function directorySize(dir: string): number {
  // ZooKeeper reports the size of its version-2 directory; we report the data directory's files.
  try {
    return fileSizes(dir).reduce((a, b) => a + b, 0);
  } catch {
    return 0;
  }
}

function fileSizes(dir: string): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) out.push(...fileSizes(p));
    else if (d.isFile()) out.push(fs.statSync(p).size);
  }
  return out;
}

/** java.util.Date.toString in UTC: `Wed Nov 25 08:24:32 UTC 2026`. */
function javaDate(ms: number): string {
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

function javaArch(): string {
  return ({ x64: 'amd64', ia32: 'x86', arm64: 'aarch64' } as Record<string, string>)[process.arch] ?? process.arch;
}

export const commands: Record<string, (s: NodeStatus) => string> = {
  ruok: () => 'imok',
  isro: () => 'rw',
  srvr: (s) => `Zookeeper version: ${SERVER_VERSION}\n` + serverSummary(s),
  stat: (s) =>
    `Zookeeper version: ${SERVER_VERSION}\nClients:\n` +
    s.connections().map((c) => connectionLine(c, false)).join('') +
    '\n' +
    serverSummary(s),
  cons: (s) => s.connections().map((c) => connectionLine(c, true)).join('') + '\n',
  crst: (s) => {
    for (const c of s.connections()) c.resetStats();
    return 'Connection stats reset.\n';
  },
  srst: (s) => {
    s.stats.reset();
    return 'Server stats reset.\n';
  },
  conf: (s) => {
    const c = s.config;
    const size = directorySize(c.dataDir);
    const logSize = directorySize(c.dataLogDir);
    let out =
      `clientPort=${c.clientPort}\nsecureClientPort=-1\n` +
      `dataDir=${path.resolve(c.dataDir, 'version-2')}\ndataDirSize=${size}\n` +
      `dataLogDir=${path.resolve(c.dataLogDir, 'version-2')}\ndataLogSize=${logSize}\n` +
      `tickTime=${c.tickTime}\nmaxClientCnxns=${c.maxClientCnxns}\n` +
      `minSessionTimeout=${c.minSessionTimeout}\nmaxSessionTimeout=${c.maxSessionTimeout}\n` +
      `clientPortListenBacklog=-1\nserverId=${c.myid ?? 0}\n`;
    if (c.servers.length > 0) {
      out += `initLimit=${c.initLimit}\nsyncLimit=${c.syncLimit}\nelectionAlg=3\n`;
      const me = c.servers.find((x) => x.id === c.myid);
      if (me) out += `electionPort=${me.electionPort}\nquorumPort=${me.quorumPort}\npeerType=${me.type === 'observer' ? 1 : 0}\n`;
      out += 'membership: \n';
      for (const x of c.servers) {
        out += `server.${x.id}=${x.host}:${x.quorumPort}:${x.electionPort}:${x.type}`;
        if (x.clientPort !== null) out += `;${x.clientAddress ?? '0.0.0.0'}:${x.clientPort}`;
        out += '\n';
      }
      out += 'version=0\n';
    }
    return out;
  },
  envi: () => {
    const mem = process.memoryUsage();
    const mb = (n: number) => `${Math.round(n / 1024 / 1024)}MB`;
    return (
      'Environment:\n' +
      `zookeeper.version=${SERVER_VERSION}\n` +
      `host.name=${os.hostname()}\n` +
      `java.version=${process.versions.node}\n` +
      `java.vendor=Node.js\n` +
      `java.home=${path.dirname(path.dirname(process.execPath))}\n` +
      `java.class.path=${process.argv[1] ?? ''}\n` +
      `java.library.path=\n` +
      `java.io.tmpdir=${os.tmpdir()}\n` +
      `java.compiler=<NA>\n` +
      `os.name=${os.type()}\n` +
      `os.arch=${javaArch()}\n` +
      `os.version=${os.release()}\n` +
      `user.name=${os.userInfo().username}\n` +
      `user.home=${os.homedir()}\n` +
      `user.dir=${process.cwd()}\n` +
      `os.memory.free=${mb(mem.heapTotal - mem.heapUsed)}\n` +
      `os.memory.max=${mb(mem.heapTotal)}\n` +
      `os.memory.total=${mb(mem.heapTotal)}\n` +
      // Off the V8 heap, unlike a JVM's byte[]: znode data lives here, so heap figures need it to compare.
      `node.memory.arrayBuffers=${mb(mem.arrayBuffers)}\n`
    );
  },
  wchs: (s) => {
    const bySession = s.watchesBySession();
    return `${bySession.size} connections watching ${s.watchesByPath().size} paths\nTotal watches:${s.watchCount()}\n`;
  },
  wchc: (s) => {
    let out = '';
    for (const [sid, paths] of s.watchesBySession()) out += `${hex(sid)}\n` + paths.map((p) => `\t${p}\n`).join('');
    return out + '\n';
  },
  wchp: (s) => {
    let out = '';
    for (const [p, sids] of s.watchesByPath()) out += `${p}\n` + sids.map((sid) => `\t${hex(sid)}\n`).join('');
    return out + '\n';
  },
  dirs: (s) => `datadir_size: ${directorySize(s.config.dataDir)}\nlogdir_size: ${directorySize(s.config.dataLogDir)}\n`,
  dump: (s) => {
    const sessions = s.sessions();
    const buckets = new Map<number, bigint[]>();
    for (const x of sessions) buckets.set(x.expiresAt, [...(buckets.get(x.expiresAt) ?? []), x.id]);
    let out = `SessionTracker dump:\nSession Sets (${buckets.size})/(${sessions.length}):\n`;
    for (const [at, ids] of [...buckets].sort((a, b) => a[0] - b[0])) {
      out += `${ids.length} expire at ${javaDate(at)}:\n` + ids.map((id) => `\t${hex(id)}\n`).join('');
    }
    const eph = s.ephemerals();
    out += `ephemeral nodes dump:\nSessions with Ephemerals (${eph.size}):\n`;
    for (const [sid, paths] of eph) out += `${hex(sid)}:\n` + paths.map((p) => `\t${p}\n`).join('');
    const conns = s.connections();
    out += `Connections dump:\nConnections Sets (${conns.length})/(${conns.length}):\n`;
    for (const c of conns) out += `1 expire at ${javaDate(c.established + (c.timeout || 10_000))}:\n\tip: ${c.remote} sessionId: ${hex(c.sessionId)}\n`;
    return out;
  },
  gtmk: () => '306',
  stmk: () => '306',
  hash: () => 'Digest computation is disabled.\n',
  mntr: (s) => {
    const l = s.stats.latency;
    const eph = [...s.ephemerals().values()].reduce((n, p) => n + p.length, 0);
    const rows: [string, string | number][] = [
      ['zk_version', SERVER_VERSION],
      ['zk_server_state', s.mode],
      ['zk_ephemerals_count', eph],
      ['zk_num_alive_connections', s.connections().length],
      ['zk_avg_latency', javaDouble(l.avg)],
      ['zk_outstanding_requests', s.outstanding],
      ['zk_znode_count', s.nodeCount],
      ['zk_global_sessions', s.sessions().length],
      ['zk_non_mtls_remote_conn_count', 0],
      ['zk_packets_sent', s.stats.packetsSent],
      ['zk_packets_received', s.stats.packetsReceived],
      ['zk_watch_count', s.watchCount()],
      ['zk_auth_failed_count', s.stats.authFailed],
      ['zk_min_latency', l.minOrZero],
      ['zk_max_file_descriptor_count', maxFileDescriptorCount()],
      ['zk_approximate_data_size', s.approximateDataSize()],
      ['zk_open_file_descriptor_count', openFileDescriptorCount()],
      ['zk_local_sessions', 0],
      ['zk_uptime', Date.now() - s.stats.startedAt],
      ['zk_max_latency', l.max],
      ['zk_connection_rejected', s.stats.connectionRejected],
    ];
    const fsync = s.storage?.fsyncTime;
    if (fsync) {
      rows.push(
        ['zk_avg_fsynctime', javaDouble(Math.round(fsync.averageMs * 10000) / 10000)],
        ['zk_min_fsynctime', fsync.count === 0 ? 0 : Math.floor(fsync.minMs)],
        ['zk_max_fsynctime', Math.floor(fsync.maxMs)],
        ['zk_cnt_fsynctime', fsync.count],
        ['zk_sum_fsynctime', Math.floor(fsync.sumMs)],
      );
    }
    const r = s.replication;
    if (r && s.mode === 'leader') rows.push(['zk_followers', r.followers], ['zk_synced_followers', r.syncedFollowers], ['zk_pending_syncs', r.pendingSyncs]);
    return rows.map(([k, v]) => `${k}\t${v}\n`).join('');
  },
};

/** ZooKeeper's refusal of a known word that is not in `4lw.commands.whitelist`. */
export function notWhitelisted(word: string): string {
  return `${word} is not executed because it is not in the whitelist.\n`;
}

/** The answer to a connection's first four bytes, or null when they are not a four-letter word. */
export function answerFourLetterWord(word: string, status: () => NodeStatus): string | null {
  const run = commands[word];
  if (!run || !(ALL_FOUR_LETTER_WORDS as readonly string[]).includes(word)) return null;
  const s = status();
  if (!s.config.fourLetterWords.has(word)) return notWhitelisted(word);
  if (s.replication && !s.replication.serving && servingWords.has(word)) return NOT_SERVING;
  return run(s);
}
