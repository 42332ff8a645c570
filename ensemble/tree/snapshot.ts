/**
 * The data tree's snapshot encoding (jute writer): header, sessions, the distinct ACL lists once each, then every
 * node (parents before children) referring to its ACL by index, as ZooKeeper's snapshot refers to its ACL cache.
 * SnapshotInProgress (snapshot-in-progress.ts) writes it; readSnapshot reads it.
 */
import { JuteReader, JuteWriter } from '../jute/buffer.ts';
import { ACLCodec, type ACL } from '../jute/records.ts';
import type { SessionInfo } from './api.ts';
import type { CachedAcl } from './acl.ts';
import type { StoredData, ZNode } from './znode.ts';

const MAGIC = 0x5a4b5452; // "ZKTR"
const FORMAT_VERSION = 1;

/** What precedes the nodes. */
export interface SnapshotHeader {
  lastZxid: bigint;
  sessions: readonly SessionInfo[];
  acls: readonly CachedAcl[];
  nodeCount: number;
}

export interface NodeFields {
  data: StoredData;
  czxid: bigint;
  mzxid: bigint;
  ctime: bigint;
  mtime: bigint;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  pzxid: bigint;
}

/** Everything before the nodes; returns each ACL list's index for writeNodeEntry. */
export function writeSnapshotHeader(w: JuteWriter, src: SnapshotHeader): Map<CachedAcl, number> {
  w.int(MAGIC).int(FORMAT_VERSION).long(src.lastZxid);
  w.int(src.sessions.length);
  for (const s of src.sessions) w.long(s.sessionId).int(s.timeout).buffer(s.password);
  const aclIndex = new Map<CachedAcl, number>();
  w.int(src.acls.length);
  for (const entry of src.acls) {
    aclIndex.set(entry, aclIndex.size);
    w.vector(entry.acl, ACLCodec.write);
  }
  w.int(src.nodeCount);
  return aclIndex;
}

export function writeNodeEntry(w: JuteWriter, path: string, node: ZNode, aclIndex: ReadonlyMap<CachedAcl, number>): void {
  const acl = aclIndex.get(node.acl);
  if (acl === undefined) throw new Error(`snapshot: ACL of ${path} is not in the cache`);
  w.string(path).latin1Bytes(node.data).int(acl);
  w.long(node.czxid).long(node.mzxid).long(node.ctime).long(node.mtime);
  w.int(node.version).int(node.cversion).int(node.aversion);
  w.long(node.ephemeralOwner).long(node.pzxid);
}

export interface SnapshotSink {
  onAcls(acls: ACL[][]): void;
  /** `fields` is one object reused for every node: read it during the call, do not keep it. */
  onNode(path: string, fields: Readonly<NodeFields>, aclIndex: number): void;
}

/** Streams nodes to `sink` (no intermediate array of a million nodes); throws on a malformed snapshot. */
export function readSnapshot(buf: Buffer, sink: SnapshotSink): { lastZxid: bigint; sessions: SessionInfo[] } {
  const r = new JuteReader(buf);
  if (r.int() !== MAGIC) throw new Error('snapshot: bad magic');
  const version = r.int();
  if (version !== FORMAT_VERSION) throw new Error(`snapshot: unsupported format version ${version}`);
  const lastZxid = r.long();
  const sessions: SessionInfo[] = [];
  for (let n = count(r); n > 0; n--) {
    const sessionId = r.long();
    const timeout = r.int();
    sessions.push({ sessionId, timeout, password: r.buffer() ?? Buffer.alloc(0) });
  }
  const acls: ACL[][] = [];
  for (let n = count(r); n > 0; n--) acls.push(r.vector(ACLCodec.read) ?? []);
  sink.onAcls(acls);
  // One fields object for all nodes: a million short-lived ones cost the load more in scavenges than they save.
  const f: NodeFields = { data: null, czxid: 0n, mzxid: 0n, ctime: 0n, mtime: 0n, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, pzxid: 0n };
  for (let n = count(r); n > 0; n--) {
    const path = r.string();
    if (path === null) throw new Error('snapshot: null path');
    f.data = r.latin1Bytes();
    const aclIndex = r.int();
    // Most nodes repeat a value (mzxid = czxid until the first setData, mtime = ctime, pzxid = czxid for a leaf,
    // owner 0): share that BigInt instead of allocating millions of equal ones (load time and heap per znode).
    f.czxid = r.long();
    f.mzxid = sameLong(r, f.czxid);
    f.ctime = r.long();
    f.mtime = sameLong(r, f.ctime);
    f.version = r.int();
    f.cversion = r.int();
    f.aversion = r.int();
    f.ephemeralOwner = sameLong(r, 0n);
    f.pzxid = sameLong(r, f.czxid, f.mzxid);
    sink.onNode(path, f, aclIndex);
  }
  if (r.remaining !== 0) throw new Error(`snapshot: ${r.remaining} trailing bytes`);
  return { lastZxid, sessions };
}

/** The next int64: `a` or `b` (the same BigInt) when equal to it, else a new one. */
function sameLong(r: JuteReader, a: bigint, b?: bigint): bigint {
  const v = r.long();
  if (v === a) return a;
  if (b !== undefined && v === b) return b;
  return v;
}

function count(r: JuteReader): number {
  const n = r.int();
  if (n < 0 || n > r.remaining) throw new Error(`snapshot: bad count ${n}`);
  return n;
}
