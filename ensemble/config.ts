/**
 * `zoo.cfg` (a Java .properties file) and `myid`, with ZooKeeper 3.8's keys and defaults
 * (QuorumPeerConfig.parseProperties plus the `zookeeper.*` system properties zoo.cfg may set).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_JUTE_MAXBUFFER } from './jute/constants.ts';

export type PeerType = 'participant' | 'observer';

export interface ServerSpec {
  id: number;
  host: string;
  quorumPort: number;
  electionPort: number;
  type: PeerType;
  /** From the `;[clientAddr:]clientPort` suffix, when present. */
  clientAddress: string | null;
  clientPort: number | null;
}

export interface ZooConfig {
  /** The file it came from, when loaded from disk. */
  file: string | null;
  tickTime: number;
  /** 0 = not set (only required with server.N lines). */
  initLimit: number;
  syncLimit: number;
  dataDir: string;
  dataLogDir: string;
  clientPort: number;
  /** null = all interfaces. */
  clientPortAddress: string | null;
  /** Connections per client IP; 0 = unlimited. */
  maxClientCnxns: number;
  /** Client connections in total on this server (ZooKeeper's maxCnxns); 0 = unlimited. */
  maxCnxns: number;
  /** Requests read from one connection and not yet answered; beyond it the connection is not read (throttled). */
  maxOutstandingPerConnection: number;
  /** Live sessions this server keeps (sessions are replicated: the whole ensemble's); new ones beyond it are refused. */
  maxSessions: number;
  /** Distinct paths one session may watch; a request that would add one more fails with QUOTAEXCEEDED. */
  maxWatchesPerSession: number;
  /** Largest peer message accepted or sent on the quorum port (proposals, SNAP) and on the election port (votes). */
  quorumMaxMessageBytes: number;
  electionMaxMessageBytes: number;
  minSessionTimeout: number;
  maxSessionTimeout: number;
  snapCount: number;
  snapRetainCount: number;
  /** Hours; 0 = autopurge off. A test-only key (`ensemble.test.purgeIntervalHours`) may set a fraction. */
  purgeInterval: number;
  /** Transaction log growth step in bytes (ZooKeeper's zookeeper.preAllocSize, given in KB; default 64 MB). */
  preAllocSize: number;
  standaloneEnabled: boolean;
  adminEnableServer: boolean;
  adminServerPort: number;
  adminServerAddress: string;
  /** Whitelisted four-letter words (`*` expands to every word we know). srvr is always allowed, as in ZooKeeper. */
  fourLetterWords: ReadonlySet<string>;
  peerType: PeerType;
  extendedTypesEnabled: boolean;
  forceSync: boolean;
  juteMaxBuffer: number;
  /** `super:base64(sha1(super:password))`, or null. */
  superDigest: string | null;
  /** How often empty containers and expired TTL nodes are looked for (ZooKeeper's znode.container.checkIntervalMs). */
  containerCheckIntervalMs: number;
  servers: ServerSpec[];
  /** `quorum.auth.secretFile`: the shared key that authenticates servers to each other (replication). */
  quorumAuthSecretFile: string | null;
  /** From `dataDir/myid` when server.N lines exist (filled by loadZooCfg or readMyId). */
  myid: number | null;
  /** Keys we do not know, and values ZooKeeper would silently correct. */
  warnings: string[];
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Every four-letter word ZooKeeper 3.8 knows (what `4lw.commands.whitelist=*` enables). */
export const ALL_FOUR_LETTER_WORDS = [
  'conf', 'cons', 'crst', 'dirs', 'dump', 'envi', 'gtmk', 'ruok', 'stmk', 'srst', 'srvr', 'stat',
  'wchc', 'wchp', 'wchs', 'mntr', 'isro', 'hash',
] as const;

const MIN_SNAP_RETAIN_COUNT = 3;

/**
 * Defaults of the bounds ZooKeeper leaves open (docs/SECURITY.md): high enough that no sane workload meets them,
 * low enough that one client cannot exhaust the server's memory or file descriptors.
 */
export const DEFAULT_BOUNDS = {
  maxCnxns: 5000,
  maxOutstandingPerConnection: 1000,
  maxSessions: 50_000,
  maxWatchesPerSession: 100_000,
  quorumMaxMessageBytes: 64 * 1024 * 1024,
  electionMaxMessageBytes: 64 * 1024,
} as const;

/** Txn header, proposal framing and forwarding envelope around one client request. */
const QUORUM_MESSAGE_OVERHEAD = 64 * 1024;

interface Line {
  key: string;
  value: string;
  line: number;
}

/** java.util.Properties.load: comments, `=`/`:`/whitespace separators, backslash escapes and continuations. */
export function parseProperties(text: string): Line[] {
  const physical = text.split(/\r\n|\r|\n/);
  const out: Line[] = [];
  for (let i = 0; i < physical.length; i++) {
    const startLine = i + 1;
    let logical = physical[i]!.replace(/^[ \t\f]+/, '');
    if (logical === '' || logical.startsWith('#') || logical.startsWith('!')) continue;
    while (endsWithOddBackslashes(logical) && i + 1 < physical.length) {
      logical = logical.slice(0, -1) + physical[++i]!.replace(/^[ \t\f]+/, '');
    }
    if (endsWithOddBackslashes(logical)) logical = logical.slice(0, -1);
    let k = 0;
    while (k < logical.length && !/[=: \t\f]/.test(logical[k]!)) k += logical[k] === '\\' ? 2 : 1;
    const rawKey = logical.slice(0, Math.min(k, logical.length));
    let v = k;
    while (v < logical.length && /[ \t\f]/.test(logical[v]!)) v++;
    if (v < logical.length && /[=:]/.test(logical[v]!)) v++;
    while (v < logical.length && /[ \t\f]/.test(logical[v]!)) v++;
    out.push({ key: unescape(rawKey), value: unescape(logical.slice(v)), line: startLine });
  }
  return out;
}

function endsWithOddBackslashes(s: string): boolean {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.slice(1), 16));
    return ({ t: '\t', n: '\n', r: '\r', f: '\f' } as Record<string, string>)[c] ?? c;
  });
}

type Setter = (value: string, at: Line) => void;

export function parseZooCfg(text: string, file: string | null = null): ZooConfig {
  const where = (at: Line) => `${file ?? 'zoo.cfg'}:${at.line}`;
  const fail = (at: Line, why: string): never => {
    throw new ConfigError(`${where(at)}: ${at.key}: ${why}`);
  };
  const int = (at: Line, min = -Infinity, max = Infinity): number => {
    // Java's Integer.parseInt: optional sign, decimal digits, 32-bit range.
    if (!/^[+-]?\d+$/.test(at.value)) fail(at, `'${at.value}' is not an integer`);
    const n = Number(at.value);
    if (n > 2147483647 || n < -2147483648) fail(at, `'${at.value}' is out of the 32-bit integer range`);
    if (n < min || n > max) fail(at, `${n} is out of range [${min}, ${max}]`);
    return n;
  };
  const bool = (at: Line): boolean => {
    // QuorumPeerConfig.parseBoolean accepts only true/false (any case).
    const v = at.value.toLowerCase();
    if (v === 'true') return true;
    if (v === 'false') return false;
    return fail(at, `'${at.value}' is not a boolean (true or false)`);
  };
  const port = (at: Line) => int(at, 0, 65535);

  let tickTime = 3000;
  let initLimit = 0;
  let syncLimit = 0;
  let dataDir: string | null = null;
  let dataLogDir: string | null = null;
  let clientPort = 0;
  let clientPortAddress: string | null = null;
  let clientPortAddressLine: Line | null = null;
  let maxClientCnxns = 60;
  let maxCnxns: number = DEFAULT_BOUNDS.maxCnxns;
  let maxOutstandingPerConnection: number = DEFAULT_BOUNDS.maxOutstandingPerConnection;
  let maxSessions: number = DEFAULT_BOUNDS.maxSessions;
  let maxWatchesPerSession: number = DEFAULT_BOUNDS.maxWatchesPerSession;
  let quorumMaxMessageBytes: number = DEFAULT_BOUNDS.quorumMaxMessageBytes;
  let quorumMaxMessageLine: Line | null = null;
  let electionMaxMessageBytes: number = DEFAULT_BOUNDS.electionMaxMessageBytes;
  let minSessionTimeout = -1;
  let maxSessionTimeout = -1;
  let snapCount = 100_000;
  let snapRetainCount = MIN_SNAP_RETAIN_COUNT;
  let purgeInterval = 0;
  let preAllocSize = 64 * 1024 * 1024;
  let standaloneEnabled = true;
  let adminEnableServer = true;
  let adminServerPort = 8080;
  // ZooKeeper binds 0.0.0.0; ours stays on loopback unless an operator opens it up on purpose.
  let adminServerAddress = '127.0.0.1';
  let whitelist: Set<string> = new Set();
  let peerType: PeerType = 'participant';
  let extendedTypesEnabled = false;
  let forceSync = true;
  let juteMaxBuffer = DEFAULT_JUTE_MAXBUFFER;
  let superDigest: string | null = null;
  let containerCheckIntervalMs = 60_000;
  let quorumAuthSecretFile: string | null = null;
  const servers: ServerSpec[] = [];
  const warnings: string[] = [];

  const setters: Record<string, Setter> = {
    tickTime: (_, at) => (tickTime = int(at, 1)),
    initLimit: (_, at) => (initLimit = int(at, 1)),
    syncLimit: (_, at) => (syncLimit = int(at, 1)),
    dataDir: (v, at) => (dataDir = nonEmpty(v, at)),
    dataLogDir: (v, at) => (dataLogDir = nonEmpty(v, at)),
    clientPort: (_, at) => (clientPort = port(at)),
    clientPortAddress: (v, at) => {
      clientPortAddress = nonEmpty(v, at);
      clientPortAddressLine = at;
    },
    secureClientPort: (_, at) => fail(at, 'not supported (TLS client connections are not implemented)'),
    secureClientPortAddress: (_, at) => fail(at, 'not supported (TLS client connections are not implemented)'),
    maxClientCnxns: (_, at) => (maxClientCnxns = int(at, 0)),
    maxCnxns: (_, at) => (maxCnxns = int(at, 0)),
    maxOutstandingPerConnection: (_, at) => (maxOutstandingPerConnection = int(at, 1)),
    maxSessions: (_, at) => (maxSessions = int(at, 1)),
    maxWatchesPerSession: (_, at) => (maxWatchesPerSession = int(at, 1)),
    'quorum.maxMessageBytes': (_, at) => {
      quorumMaxMessageBytes = int(at, 1024);
      quorumMaxMessageLine = at;
    },
    // A vote is a few dozen bytes; 1 KiB leaves room for the handshake and future fields.
    'election.maxMessageBytes': (_, at) => (electionMaxMessageBytes = int(at, 1024)),
    minSessionTimeout: (_, at) => (minSessionTimeout = int(at, -1)),
    maxSessionTimeout: (_, at) => (maxSessionTimeout = int(at, -1)),
    snapCount: (_, at) => (snapCount = int(at, 2)),
    'autopurge.snapRetainCount': (_, at) => {
      snapRetainCount = int(at);
      if (snapRetainCount < MIN_SNAP_RETAIN_COUNT) {
        warnings.push(`${where(at)}: Invalid autopurge.snapRetainCount: ${snapRetainCount}. Defaulting to ${MIN_SNAP_RETAIN_COUNT}`);
        snapRetainCount = MIN_SNAP_RETAIN_COUNT;
      }
    },
    'autopurge.purgeInterval': (_, at) => (purgeInterval = int(at)),
    // Not a ZooKeeper key: lets tests run autopurge every few hundred ms.
    'ensemble.test.purgeIntervalHours': (v, at) => {
      const n = /^\d+(\.\d+)?(e-?\d+)?$/i.test(v) ? Number(v) : NaN;
      if (!(n >= 0)) fail(at, `'${v}' is not a non-negative number of hours`);
      purgeInterval = n;
    },
    preAllocSize: (_, at) => (preAllocSize = int(at, 1) * 1024),
    standaloneEnabled: (_, at) => (standaloneEnabled = bool(at)),
    'admin.enableServer': (_, at) => (adminEnableServer = bool(at)),
    'admin.serverPort': (_, at) => (adminServerPort = port(at)),
    'admin.serverAddress': (v, at) => (adminServerAddress = nonEmpty(v, at)),
    '4lw.commands.whitelist': (v, at) => {
      whitelist = new Set();
      for (const word of v.split(',').map((w) => w.trim()).filter(Boolean)) {
        if (word === '*') ALL_FOUR_LETTER_WORDS.forEach((w) => whitelist.add(w));
        else if ((ALL_FOUR_LETTER_WORDS as readonly string[]).includes(word)) whitelist.add(word);
        else fail(at, `unknown four-letter word '${word}'`);
      }
    },
    peerType: (v, at) => {
      const t = v.toLowerCase();
      if (t !== 'participant' && t !== 'observer') fail(at, `Unrecognised peertype: ${v}`);
      peerType = t as PeerType;
    },
    extendedTypesEnabled: (_, at) => (extendedTypesEnabled = bool(at)),
    forceSync: (v, at) => {
      // ZooKeeper reads zookeeper.forceSync as "no" = off, anything else = on; we insist on a clear value.
      const t = v.toLowerCase();
      if (t === 'yes' || t === 'true') forceSync = true;
      else if (t === 'no' || t === 'false') forceSync = false;
      else fail(at, `'${v}' is not yes/no/true/false`);
    },
    'jute.maxbuffer': (v, at) => {
      // Like Integer.decode: decimal or 0x hex.
      const n = /^0x[0-9a-f]+$/i.test(v) ? parseInt(v, 16) : /^\d+$/.test(v) ? Number(v) : NaN;
      if (!Number.isSafeInteger(n) || n < 1 || n > 0x7fffffff) fail(at, `'${v}' is not a positive integer`);
      juteMaxBuffer = n;
    },
    superDigest: (v, at) => {
      if (!/^[^:]+:.+$/.test(v)) fail(at, `'${v}' is not user:base64digest`);
      superDigest = v;
    },
    'znode.container.checkIntervalMs': (_, at) => (containerCheckIntervalMs = int(at, 1)),
    'quorum.auth.secretFile': (v, at) => (quorumAuthSecretFile = nonEmpty(v, at)),
  };
  // Names ZooKeeper also accepts with the system-property prefix.
  setters['zookeeper.DigestAuthenticationProvider.superDigest'] = setters.superDigest!;
  setters['zookeeper.extendedTypesEnabled'] = setters.extendedTypesEnabled!;
  setters['zookeeper.forceSync'] = setters.forceSync!;
  setters['zookeeper.snapCount'] = setters.snapCount!;
  setters['zookeeper.preAllocSize'] = setters.preAllocSize!;
  setters['zookeeper.4lw.commands.whitelist'] = setters['4lw.commands.whitelist']!;
  setters['zookeeper.admin.enableServer'] = setters['admin.enableServer']!;
  setters['zookeeper.admin.serverPort'] = setters['admin.serverPort']!;
  setters['zookeeper.admin.serverAddress'] = setters['admin.serverAddress']!;

  function nonEmpty(v: string, at: Line): string {
    if (v === '') fail(at, 'must not be empty');
    return v;
  }

  const seen = new Map<string, Line>();
  for (const at of parseProperties(text)) {
    at.value = at.value.trim();
    if (seen.has(at.key)) warnings.push(`${where(at)}: ${at.key} repeats line ${seen.get(at.key)!.line}; the last value wins`);
    seen.set(at.key, at);
    const server = /^server\.(.*)$/.exec(at.key);
    if (server) {
      servers.push(parseServerLine(server[1]!, at, fail));
      continue;
    }
    const set = setters[at.key];
    if (set) set(at.value, at);
    else warnings.push(`${where(at)}: unknown key ${at.key} (ignored)`);
  }

  const fileFail = (why: string): never => {
    throw new ConfigError(`${file ?? 'zoo.cfg'}: ${why}`);
  };
  if (dataDir === null) fileFail('dataDir is not set');
  if (clientPort === 0 && clientPortAddressLine) fail(clientPortAddressLine, 'clientPortAddress is set but clientPort is not set');
  const minTo = minSessionTimeout === -1 ? tickTime * 2 : minSessionTimeout;
  const maxTo = maxSessionTimeout === -1 ? tickTime * 20 : maxSessionTimeout;
  if (minTo > maxTo) fileFail('minSessionTimeout must not be larger than maxSessionTimeout');

  const ids = new Set<number>();
  for (const s of servers) {
    if (ids.has(s.id)) fileFail(`server.${s.id} is defined twice`);
    ids.add(s.id);
  }
  const distributed = servers.length > 1 || (servers.length === 1 && !standaloneEnabled);
  if (distributed) {
    if (initLimit === 0) fileFail('initLimit is not set');
    if (syncLimit === 0) fileFail('syncLimit is not set');
    if (servers.every((s) => s.type === 'observer')) fileFail('no participant in server.N lines');
  }
  if (clientPort === 0 && servers.length === 0) fileFail('clientPort is not set');
  // A proposal carries one client request (at most jute.maxbuffer) plus its txn header: it must fit a quorum message.
  if (quorumMaxMessageBytes < juteMaxBuffer + QUORUM_MESSAGE_OVERHEAD) {
    const why = `quorum.maxMessageBytes (${quorumMaxMessageBytes}) must be at least jute.maxbuffer + ${QUORUM_MESSAGE_OVERHEAD} (${juteMaxBuffer + QUORUM_MESSAGE_OVERHEAD})`;
    if (quorumMaxMessageLine) fail(quorumMaxMessageLine, why);
    fileFail(why);
  }

  whitelist.add('srvr'); // ZooKeeper always allows srvr: its own tools rely on it.
  return {
    file,
    tickTime,
    initLimit,
    syncLimit,
    dataDir: dataDir!,
    dataLogDir: dataLogDir ?? dataDir!,
    clientPort,
    clientPortAddress,
    maxClientCnxns,
    maxCnxns,
    maxOutstandingPerConnection,
    maxSessions,
    maxWatchesPerSession,
    quorumMaxMessageBytes,
    electionMaxMessageBytes,
    minSessionTimeout: minTo,
    maxSessionTimeout: maxTo,
    snapCount,
    snapRetainCount,
    purgeInterval,
    preAllocSize,
    standaloneEnabled,
    adminEnableServer,
    adminServerPort,
    adminServerAddress,
    fourLetterWords: whitelist,
    peerType,
    extendedTypesEnabled,
    forceSync,
    juteMaxBuffer,
    superDigest,
    containerCheckIntervalMs,
    servers,
    quorumAuthSecretFile,
    myid: null,
    warnings,
  };
}

/** `server.N=host:quorumPort:electionPort[:participant|:observer][;[clientAddr:]clientPort]` */
function parseServerLine(idText: string, at: Line, fail: (at: Line, why: string) => never): ServerSpec {
  if (!/^\d+$/.test(idText)) fail(at, `'${idText}' is not a server id`);
  const id = Number(idText);
  if (id < 1 || id > 255) fail(at, `server id ${id} is out of range [1, 255]`);
  const [addrPart, clientPart, ...extra] = at.value.split(';');
  if (extra.length > 0) fail(at, `'${at.value}' has more than one ';'`);
  const parts = parseHostPorts(addrPart!.trim());
  if (parts.length < 3 || parts.length > 4) {
    fail(at, `'${at.value}' does not have the form host:quorumPort:electionPort[:participant|:observer][;[clientAddr:]clientPort]`);
  }
  const portOf = (s: string, what: string): number => {
    const n = /^\d+$/.test(s) ? Number(s) : NaN;
    if (!(n >= 1 && n <= 65535)) fail(at, `${what} '${s}' is not a port`);
    return n;
  };
  const host = parts[0]!;
  if (host === '') fail(at, 'empty host');
  const quorumPort = portOf(parts[1]!, 'quorum port');
  const electionPort = portOf(parts[2]!, 'election port');
  let type: PeerType = 'participant';
  if (parts[3] !== undefined) {
    const t = parts[3].toLowerCase();
    if (t !== 'participant' && t !== 'observer') fail(at, `'${parts[3]}' is neither participant nor observer`);
    type = t as PeerType;
  }
  let clientAddress: string | null = null;
  let clientPort: number | null = null;
  if (clientPart !== undefined) {
    const c = parseHostPorts(clientPart.trim());
    if (c.length === 1) clientPort = portOf(c[0]!, 'client port');
    else if (c.length === 2) {
      clientAddress = c[0]!;
      clientPort = portOf(c[1]!, 'client port');
    } else fail(at, `'${clientPart}' is not [clientAddr:]clientPort`);
  }
  return { id, host, quorumPort, electionPort, type, clientAddress, clientPort };
}

/** Splits on ':' but keeps a bracketed IPv6 address whole. */
function parseHostPorts(s: string): string[] {
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0) return [s];
    const rest = s.slice(end + 1);
    return [s.slice(1, end), ...(rest === '' ? [] : rest.replace(/^:/, '').split(':'))];
  }
  return s.split(':');
}

/** `dataDir/myid`: one integer in [1, 255]. */
export function readMyId(dataDir: string): number {
  const file = path.join(dataDir, 'myid');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`${file} file is missing`);
  }
  const t = text.trim();
  const n = /^\d+$/.test(t) ? Number(t) : NaN;
  if (!(n >= 1 && n <= 255)) throw new ConfigError(`${file}: serverid ${t} is not a number in [1, 255]`);
  return n;
}

/** Reads zoo.cfg; relative dataDir/dataLogDir are taken from the working directory, as ZooKeeper does. */
export function loadZooCfg(file: string): ZooConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${file}: cannot read: ${(e as Error).message}`);
  }
  const cfg = parseZooCfg(text, file);
  if (cfg.servers.length > 0) {
    cfg.myid = readMyId(cfg.dataDir);
    if (!cfg.servers.some((s) => s.id === cfg.myid)) {
      throw new ConfigError(`${file}: myid ${cfg.myid} has no server.${cfg.myid} line`);
    }
  }
  return cfg;
}
