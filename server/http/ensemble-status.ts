// The ensemble as the admin sees it: every node of ZK_CONNECT asked `srvr` and `mntr` (ZooKeeper's
// four-letter words) directly, so a node that is down or not serving shows as such.

import { connect } from 'node:net';
import { parseConnectString } from '../../ensemble/client/index.ts';

export interface NodeStatus {
  address: string;
  up: boolean;
  mode: string | null;
  zxid: string | null;
  connections: number | null;
  outstanding: number | null;
  latency: { min: number; avg: number; max: number } | null;
  znodes: number | null;
  version: string | null;
  error: string | null;
}

const TIMEOUT_MS = 2_000;

export function fourLetterWord(host: string, port: number, word: string, timeoutMs = TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${word} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(word));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

function fieldsOf(text: string, separator: RegExp): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = separator.exec(line);
    if (match) fields.set(match[1]!.trim(), match[2]!.trim());
  }
  return fields;
}

const int = (value: string | undefined): number | null => (value === undefined || !/^-?\d+$/.test(value) ? null : Number(value));

export function parseSrvr(text: string): Pick<NodeStatus, 'mode' | 'zxid' | 'connections' | 'outstanding' | 'latency' | 'znodes' | 'version'> {
  const fields = fieldsOf(text, /^([^:]+):\s*(.*)$/);
  const latency = /^([\d.]+)\/([\d.]+)\/([\d.]+)$/.exec(fields.get('Latency min/avg/max') ?? '');
  return {
    mode: fields.get('Mode') ?? null,
    zxid: fields.get('Zxid') ?? null,
    connections: int(fields.get('Connections')),
    outstanding: int(fields.get('Outstanding')),
    latency: latency ? { min: Number(latency[1]), avg: Number(latency[2]), max: Number(latency[3]) } : null,
    znodes: int(fields.get('Node count')),
    version: fields.get('Zookeeper version')?.split(',')[0] ?? null,
  };
}

export function parseMntr(text: string): Map<string, string> {
  return fieldsOf(text, /^(zk_[A-Za-z0-9_]+)\t(.*)$/);
}

export async function nodeStatus(host: string, port: number): Promise<NodeStatus> {
  const address = `${host}:${port}`;
  const down = (error: string): NodeStatus => ({ address, up: false, mode: null, zxid: null, connections: null, outstanding: null, latency: null, znodes: null, version: null, error });
  let srvr: string;
  try {
    srvr = await fourLetterWord(host, port, 'srvr');
  } catch (error) {
    return down((error as Error).message);
  }
  if (!/Mode:/.test(srvr)) return { ...down(srvr.trim() || 'no answer to srvr'), up: srvr.includes('not currently serving') ? false : false };
  const status: NodeStatus = { address, up: true, ...parseSrvr(srvr), error: null };
  // mntr adds what srvr lacks (and may be refused by a 4lw whitelist: srvr alone is enough then).
  const mntr = parseMntr(await fourLetterWord(host, port, 'mntr').catch(() => ''));
  status.connections ??= int(mntr.get('zk_num_alive_connections'));
  status.outstanding ??= int(mntr.get('zk_outstanding_requests'));
  status.znodes ??= int(mntr.get('zk_znode_count'));
  return status;
}

export async function ensembleStatus(connectString: string): Promise<NodeStatus[]> {
  const { hosts } = parseConnectString(connectString);
  return Promise.all(hosts.map((h) => nodeStatus(h.host, h.port)));
}
