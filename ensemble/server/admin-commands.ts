/**
 * ZooKeeper AdminServer's commands as JSON objects (`GET /commands/<name>`), by name or by four-letter alias
 * (srvr → server_stats, mntr → monitor, ...). Field names and shapes copied from ZooKeeper 3.8's Commands.java
 * responses, captured from the real server.
 */
import path from 'node:path';
import { commands as fourLetter, directorySize, SERVER_VERSION, type ConnectionView, type NodeStatus } from './four-letter.ts';

export type Json = string | number | bigint | boolean | null | Json[] | { [key: string]: Json };

interface AdminCommand {
  names: string[];
  run(s: NodeStatus): Record<string, Json>;
}

const stripSlash = (remote: string) => remote.replace(/^\//, '');

function serverStats(s: NodeStatus): Record<string, Json> {
  const l = s.stats.latency;
  return {
    version: SERVER_VERSION,
    read_only: false,
    server_stats: {
      packets_sent: s.stats.packetsSent,
      packets_received: s.stats.packetsReceived,
      fsync_threshold_exceed_count: 0,
      data_dir_size: directorySize(s.config.dataDir),
      log_dir_size: directorySize(s.config.dataLogDir),
      provider_null: false,
      server_state: s.mode,
      last_processed_zxid: s.lastZxid,
      outstanding_requests: s.outstanding,
      avg_latency: Math.round(l.avg * 10000) / 10000,
      max_latency: l.max,
      min_latency: l.minOrZero,
      num_alive_client_connections: s.connections().length,
      uptime: Date.now() - s.stats.startedAt,
      auth_failed_count: s.stats.authFailed,
      non_mtlsremote_conn_count: 0,
      non_mtlslocal_conn_count: 0,
    },
    node_count: s.nodeCount,
  };
}

function briefConnection(c: ConnectionView): Record<string, Json> {
  return {
    remote_socket_address: stripSlash(c.remote),
    interest_ops: c.interestOps,
    outstanding_requests: c.outstanding,
    packets_received: c.packetsReceived,
    packets_sent: c.packetsSent,
  };
}

function fullConnection(c: ConnectionView): Record<string, Json> {
  const out = briefConnection(c);
  if (c.sessionId === 0n) return out;
  return {
    ...out,
    session_id: c.sessionId,
    last_operation: c.lastOp,
    established: c.established,
    session_timeout: c.timeout,
    last_cxid: c.lastCxid,
    last_zxid: c.lastZxid,
    last_response_time: c.lastResponseTime,
    last_latency: c.lastLatency,
    min_latency: c.latency.minOrZero,
    avg_latency: Math.round(c.latency.avg),
    max_latency: c.latency.max,
  };
}

/** `key<sep>value` lines as an object; numeric values become numbers (as ZooKeeper's typed values print). */
function keyValues(text: string, sep: string, stripPrefix = ''): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf(sep);
    if (at <= 0) continue;
    const key = line.slice(0, at).replace(stripPrefix, '');
    const value = line.slice(at + sep.length);
    out[key] = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  return out;
}

const groupBigints = (m: Map<bigint, string[]>) => Object.fromEntries([...m].map(([k, v]) => [k.toString(), v]));

const COMMANDS: AdminCommand[] = [
  { names: ['ruok'], run: () => ({}) },
  { names: ['server_stats', 'srvr'], run: serverStats },
  {
    names: ['stats', 'stat'],
    run: (s) => ({ ...serverStats(s), connections: s.connections().map(briefConnection), secure_connections: [] }),
  },
  {
    names: ['configuration', 'conf', 'config'],
    run: (s) => {
      const c = s.config;
      const out: Record<string, Json> = {
        client_port: c.clientPort,
        data_dir: path.resolve(c.dataDir, 'version-2'),
        data_log_dir: path.resolve(c.dataLogDir, 'version-2'),
        tick_time: c.tickTime,
        max_client_cnxns: c.maxClientCnxns,
        min_session_timeout: c.minSessionTimeout,
        max_session_timeout: c.maxSessionTimeout,
        server_id: c.myid ?? 0,
        client_port_listen_backlog: -1,
      };
      if (c.servers.length > 0) {
        Object.assign(out, { init_limit: c.initLimit, sync_limit: c.syncLimit, election_alg: 3 });
      }
      return out;
    },
  },
  { names: ['connections', 'cons'], run: (s) => ({ connections: s.connections().map(fullConnection), secure_connections: [] }) },
  {
    names: ['connection_stat_reset', 'crst'],
    run: (s) => {
      for (const c of s.connections()) c.resetStats();
      return {};
    },
  },
  {
    names: ['stat_reset', 'srst'],
    run: (s) => {
      s.stats.reset();
      return {};
    },
  },
  {
    names: ['watch_summary', 'wchs'],
    run: (s) => ({ num_connections: s.watchesBySession().size, num_paths: s.watchesByPath().size, num_total_watches: s.watchCount() }),
  },
  { names: ['watches', 'wchc'], run: (s) => ({ session_id_to_watched_paths: groupBigints(s.watchesBySession()) }) },
  {
    names: ['watches_by_path', 'wchp'],
    run: (s) => ({ path_to_session_ids: Object.fromEntries([...s.watchesByPath()].map(([p, ids]) => [p, ids])) }),
  },
  {
    names: ['dump'],
    run: (s) => {
      const expiry: Record<string, bigint[]> = {};
      for (const x of s.sessions()) (expiry[String(x.expiresAt)] ??= []).push(x.id);
      return { expiry_time_to_session_ids: expiry, session_id_to_ephemeral_paths: groupBigints(s.ephemerals()) };
    },
  },
  { names: ['environment', 'envi', 'env'], run: (s) => keyValues(fourLetter.envi!(s), '=') },
  { names: ['dirs'], run: (s) => ({ datadir_size: directorySize(s.config.dataDir), logdir_size: directorySize(s.config.dataLogDir) }) },
  { names: ['is_read_only', 'isro'], run: () => ({ read_only: false }) },
  { names: ['monitor', 'mntr'], run: (s) => keyValues(fourLetter.mntr!(s), '\t', 'zk_') },
  { names: ['get_trace_mask', 'gtmk'], run: () => ({ tracemask: 306 }) },
];

const BY_NAME = new Map<string, AdminCommand>(COMMANDS.flatMap((c) => c.names.map((n) => [n, c] as const)));

/** Primary names, sorted, for `GET /commands`. */
export const ADMIN_COMMAND_NAMES = COMMANDS.map((c) => c.names[0]!).sort();

/** The JSON body of `/commands/<name>`: the command's fields plus `command` (its primary name) and `error`. */
export function runAdminCommand(name: string, status: () => NodeStatus): Record<string, Json> {
  const cmd = BY_NAME.get(name);
  if (!cmd) return { command: name, error: `Unknown command: ${name}` };
  return { ...cmd.run(status()), command: cmd.names[0]!, error: null };
}

/** JSON with 64-bit ids written exactly (JSON.stringify cannot print a bigint, and a Number would lose digits). */
export function toJson(value: Json, indent = ''): string {
  const inner = indent + '  ';
  if (value === null) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[ ]';
    return `[\n${value.map((v) => inner + toJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return '{ }';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)} : ${toJson(v, inner)}`).join(',\n')}\n${indent}}`;
}
