/** Parses "host1:port1,host2:port2/optional/chroot" the way ZooKeeper's ConnectStringParser does. */
import { ErrorCode } from '../jute/constants.ts';
import { ZkError } from './errors.ts';
import { validatePath } from './paths.ts';

export interface HostPort {
  host: string;
  port: number;
}

export interface ConnectString {
  hosts: HostPort[];
  /** '' when absent or '/'. */
  chroot: string;
}

const DEFAULT_PORT = 2181;

export function parseConnectString(connectString: string): ConnectString {
  const slash = connectString.indexOf('/');
  let chroot = '';
  let hostPart = connectString;
  if (slash >= 0) {
    const root = connectString.slice(slash);
    hostPart = connectString.slice(0, slash);
    if (root.length > 1) {
      validatePath(root);
      chroot = root;
    }
  }
  const hosts: HostPort[] = [];
  for (const raw of hostPart.split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    hosts.push(parseHostPort(entry));
  }
  if (hosts.length === 0) throw new ZkError(ErrorCode.BADARGUMENTS, undefined, `no host in connect string "${connectString}"`);
  return { hosts, chroot };
}

function parseHostPort(entry: string): HostPort {
  // [ipv6]:port, host:port, or host alone.
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracket) return { host: bracket[1]!, port: bracket[2] ? Number(bracket[2]) : DEFAULT_PORT };
  const colon = entry.lastIndexOf(':');
  if (colon < 0) return { host: entry, port: DEFAULT_PORT };
  const port = Number(entry.slice(colon + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new ZkError(ErrorCode.BADARGUMENTS, undefined, `bad port in "${entry}"`);
  }
  return { host: entry.slice(0, colon), port };
}

/** Fisher–Yates, so clients spread over the ensemble instead of all hitting the first host. */
export function shuffled<T>(items: readonly T[], random: () => number = Math.random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
