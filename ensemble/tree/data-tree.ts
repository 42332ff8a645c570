/**
 * The znode tree: applies Txns deterministically (validation included, with ZooKeeper's error codes and their
 * precedence from PrepRequestProcessor), answers reads with ZooKeeper's permission checks, and snapshots itself.
 *
 * Changes: each TreeChange names the node that was created, deleted or changed; the watch manager derives the
 * parent's NodeChildrenChanged from `created`/`deleted` itself (see api.ts TreeChange), so the tree does not emit
 * a separate `childrenChanged` for them.
 */
import { ErrorCode, OpCode, Perms } from '../jute/constants.ts';
import type { ACL, Id, Stat } from '../jute/records.ts';
import type { MultiResult } from '../jute/multi.ts';
import type {
  ApplyResult,
  DataTreeApi,
  ReadResult,
  SessionInfo,
  TreeChange,
  TreeOptions,
  Txn,
  WriteOp,
} from './api.ts';
import { AclCache, checkAcl, fixupAcl, maskDigests, OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, type CachedAcl } from './acl.ts';
import { CONTAINER_EPHEMERAL_OWNER, createModeOf, isValidTtl, kindOf, ttlOf, ttlOwner, type NodeKind } from './ephemeral-type.ts';
import { isValidPath, sequenceSuffix } from './paths.ts';
import { readSnapshot } from './snapshot.ts';
import { SnapshotInProgress, type SnapshotState } from './snapshot-in-progress.ts';
import { dataBuffer, storedData, ZNode } from './znode.ts';

/** Nodes ZooKeeper refuses to delete (DataTree.isSpecialPath). */
const SPECIAL_PATHS = new Set(['/', '/zookeeper', '/zookeeper/quota', '/zookeeper/config']);

/** A validation failure inside apply; carries a KeeperException code. */
class TxnError {
  constructor(readonly code: number) {}
}

function fail(code: number): never {
  throw new TxnError(code);
}

type Undo = () => void;

interface OpOutcome {
  path?: string;
  stat?: Stat;
  result: MultiResult;
}

function parentPathOf(path: string, slash: number): string {
  return slash === 0 ? '/' : path.slice(0, slash);
}

/** Whether `path`, whose last '/' is at `slash`, is a child of `parentPath`, without slicing it. */
function isChildOf(path: string, slash: number, parentPath: string): boolean {
  return parentPath === '/' ? slash === 0 : slash === parentPath.length && path.startsWith(parentPath);
}

export class DataTree implements DataTreeApi {
  private readonly nodes = new Map<string, ZNode>();
  private readonly acls = new AclCache();
  private readonly ephemerals = new Map<bigint, Set<string>>();
  private readonly containers = new Set<string>();
  private readonly ttls = new Set<string>();
  private readonly sessionTable = new Map<bigint, SessionInfo>();
  private readonly superDigest: string | undefined;
  private readonly extendedTypesEnabled: boolean;
  private zxid = 0n;
  /** The snapshot being written in slices, told about changes to nodes it has not reached. */
  private snapshot: SnapshotInProgress | null = null;
  /** ACLs of the nodes the last txn deleted, so watch delivery can still check READ on them (see mayRead). */
  private readonly lastDeleted = new Map<string, readonly ACL[]>();

  constructor(opts: TreeOptions = {}) {
    this.superDigest = opts.superDigest;
    this.extendedTypesEnabled = opts.extendedTypesEnabled ?? false;
    this.addSystemNodes();
  }

  /** `/`, `/zookeeper`, `/zookeeper/quota`, `/zookeeper/config` exactly as a fresh ZooKeeper 3.8 shows them. */
  private addSystemNodes(): void {
    const make = (acl: readonly ACL[]) => new ZNode('', this.acls.intern(acl), 'persistent', 0n, 0n, 0n, 0n, 0, 0, 0, 0n, 0n);
    const root = make(OPEN_ACL_UNSAFE);
    const zk = make(OPEN_ACL_UNSAFE);
    const quota = make(OPEN_ACL_UNSAFE);
    const config = make(READ_ACL_UNSAFE);
    // ZooKeeper sets this ACL with DataTree.setACL(path, acl, -1), which stores -1 as the aversion.
    config.aversion = -1;
    root.addChild('zookeeper');
    zk.addChild('quota');
    zk.addChild('config');
    this.nodes.set('/', root);
    this.nodes.set('/zookeeper', zk);
    this.nodes.set('/zookeeper/quota', quota);
    this.nodes.set('/zookeeper/config', config);
  }

  get lastZxid(): bigint {
    return this.zxid;
  }

  /** What ZooKeeper's `srvr` prints: its node map holds the root twice (under "" and "/"). */
  get nodeCount(): number {
    return this.nodes.size + 1;
  }

  // ---------------------------------------------------------------- writes

  apply(txn: Txn): ApplyResult {
    if (this.lastDeleted.size > 0) this.lastDeleted.clear();
    try {
      const op = txn.op;
      switch (op.type) {
        case 'create':
        case 'delete':
        case 'setData':
        case 'check': {
          const changes: TreeChange[] = [];
          const out = this.applyWrite(op, txn, changes, null);
          return { err: 0, path: out.path, stat: out.stat, changes };
        }
        case 'setACL':
          return { err: 0, stat: this.setAcl(op.path, op.acl, op.version, txn), changes: [] };
        case 'multi':
          return this.applyMulti(op.ops, txn);
        case 'createSession': {
          const sessionId = txn.hdr.sessionId;
          this.sessionTable.set(sessionId, { sessionId, timeout: op.timeout, password: op.password });
          return { err: 0, changes: [] };
        }
        case 'closeSession':
          return { err: 0, changes: this.closeSession(txn.hdr.sessionId, txn.hdr.zxid) };
        case 'deleteContainer':
          return { err: 0, changes: this.deleteIfStill(op.path, txn, 'container') };
        case 'deleteExpiredTTL':
          return { err: 0, changes: this.deleteIfStill(op.path, txn, 'ttl') };
      }
    } catch (e) {
      if (e instanceof TxnError) return { err: e.code, changes: [] };
      throw e;
    } finally {
      // Every txn consumes its zxid, failed ones included (ZooKeeper logs them as error txns).
      this.zxid = txn.hdr.zxid;
    }
  }

  private applyWrite(op: WriteOp, txn: Txn, changes: TreeChange[], undo: Undo[] | null): OpOutcome {
    switch (op.type) {
      case 'create':
        return this.create(op, txn, changes, undo);
      case 'delete':
        this.delete(op.path, op.version, txn, changes, undo);
        return { result: { type: OpCode.delete } };
      case 'setData': {
        const stat = this.setData(op.path, op.data, op.version, txn, changes, undo);
        return { stat, result: { type: OpCode.setData, stat } };
      }
      case 'check':
        this.check(op.path, op.version, txn.auth);
        return { result: { type: OpCode.check } };
    }
  }

  private applyMulti(ops: readonly WriteOp[], txn: Txn): ApplyResult {
    const undo: Undo[] = [];
    const changes: TreeChange[] = [];
    const results: MultiResult[] = [];
    for (let i = 0; i < ops.length; i++) {
      try {
        results.push(this.applyWrite(ops[i]!, txn, changes, undo).result);
      } catch (e) {
        for (let j = undo.length - 1; j >= 0; j--) undo[j]!();
        if (!(e instanceof TxnError)) throw e;
        const code = e.code;
        const failed: MultiResult[] = ops.map((_, j) => ({
          type: OpCode.error,
          err: j < i ? ErrorCode.OK : j === i ? code : ErrorCode.RUNTIMEINCONSISTENCY,
        }));
        return { err: 0, results: failed, changes: [] };
      }
    }
    return { err: 0, results, changes };
  }

  private create(op: Extract<WriteOp, { type: 'create' }>, txn: Txn, changes: TreeChange[], undo: Undo[] | null): OpOutcome {
    const { zxid, time, sessionId } = txn.hdr;
    const mode = createModeOf(op.flags) ?? fail(ErrorCode.BADARGUMENTS);
    if (mode.ttl && !this.extendedTypesEnabled) fail(ErrorCode.UNIMPLEMENTED);
    const ttl = op.opcode === OpCode.createTTL ? op.ttl : -1n;
    if (mode.ttl ? !isValidTtl(ttl) : ttl >= 0n) fail(ErrorCode.BADARGUMENTS);
    // ZooKeeper accepts createTTL with a non-TTL mode and ttl -1, then fails applying it; refuse it up front.
    if (op.opcode === OpCode.createTTL && !mode.ttl) fail(ErrorCode.BADARGUMENTS);
    // ZooKeeper's checkGlobalSession: an ephemeral must belong to a live session, or it would never be deleted.
    if (mode.ephemeral && op.opcode !== OpCode.createContainer && !this.sessionTable.has(sessionId)) {
      fail(ErrorCode.SESSIONEXPIRED);
    }

    const slash = op.path.lastIndexOf('/');
    if (slash < 0 || op.path.includes('\0')) fail(ErrorCode.BADARGUMENTS);
    const acl = fixupAcl(op.acl, txn.auth) ?? fail(ErrorCode.INVALIDACL);
    const parentPath = parentPathOf(op.path, slash);
    const parent = this.nodes.get(parentPath) ?? fail(ErrorCode.NONODE);
    if (!this.allowed(parent, Perms.CREATE, txn.auth)) fail(ErrorCode.NOAUTH);
    const path = mode.sequential ? op.path + sequenceSuffix(parent.cversion) : op.path;
    if (!isValidPath(path)) fail(ErrorCode.BADARGUMENTS);
    if (this.nodes.has(path)) fail(ErrorCode.NODEEXISTS);
    if (parent.kind === 'ephemeral') fail(ErrorCode.NOCHILDRENFOREPHEMERALS);

    let kind: NodeKind = 'persistent';
    let owner = 0n;
    if (op.opcode === OpCode.createContainer) {
      kind = 'container';
      owner = CONTAINER_EPHEMERAL_OWNER;
    } else if (op.opcode === OpCode.createTTL) {
      kind = 'ttl';
      owner = ttlOwner(ttl);
    } else if (mode.ephemeral) {
      kind = 'ephemeral';
      owner = sessionId;
    }
    const node = new ZNode(storedData(op.data), this.acls.intern(acl), kind, zxid, zxid, time, time, 0, 0, 0, owner, zxid);
    const name = path.slice(slash + 1);
    const { cversion: parentCversion, pzxid: parentPzxid } = parent;
    this.beforeChange(parentPath, parent);
    parent.cversion++;
    parent.pzxid = zxid;
    parent.addChild(name);
    this.nodes.set(path, node);
    this.track(path, node);
    changes.push({ type: 'created', path });
    undo?.push(() => {
      this.nodes.delete(path);
      this.untrack(path, node);
      parent.removeChild(name);
      parent.cversion = parentCversion;
      parent.pzxid = parentPzxid;
      this.acls.release(node.acl);
    });

    const stat = node.toStat();
    // Inside a multi, ZooKeeper 3.8 answers create and create2 with a path only; container and TTL creates with a stat.
    const result: MultiResult =
      op.opcode === OpCode.create || op.opcode === OpCode.create2
        ? { type: OpCode.create, path }
        : { type: OpCode.create2, path, stat };
    return { path, stat, result };
  }

  private delete(path: string, version: number, txn: Txn, changes: TreeChange[], undo: Undo[] | null): void {
    const slash = path.lastIndexOf('/');
    if (slash < 0 || path.includes('\0') || SPECIAL_PATHS.has(path)) fail(ErrorCode.BADARGUMENTS);
    const parent = this.nodes.get(parentPathOf(path, slash)) ?? fail(ErrorCode.NONODE);
    if (!this.allowed(parent, Perms.DELETE, txn.auth)) fail(ErrorCode.NOAUTH);
    const node = this.nodes.get(path) ?? fail(ErrorCode.NONODE);
    if (version !== -1 && version !== node.version) fail(ErrorCode.BADVERSION);
    if (node.numChildren > 0) fail(ErrorCode.NOTEMPTY);
    this.removeNode(path, node, parent, txn.hdr.zxid, changes, undo);
  }

  /** Unlinks a childless node; parent pzxid moves, its stored cversion does not (DataTree.deleteNode). */
  private removeNode(path: string, node: ZNode, parent: ZNode, zxid: bigint, changes: TreeChange[], undo: Undo[] | null): void {
    const slash = path.lastIndexOf('/');
    const name = path.slice(slash + 1);
    const parentPzxid = parent.pzxid;
    this.beforeChange(parentPathOf(path, slash), parent);
    this.beforeChange(path, node);
    parent.removeChild(name);
    if (zxid > parent.pzxid) parent.pzxid = zxid;
    this.nodes.delete(path);
    this.untrack(path, node);
    this.lastDeleted.set(path, node.acl.acl);
    this.acls.release(node.acl);
    changes.push({ type: 'deleted', path });
    undo?.push(() => {
      node.acl = this.acls.intern(node.acl.acl);
      this.lastDeleted.delete(path);
      this.nodes.set(path, node);
      this.track(path, node);
      parent.addChild(name);
      parent.pzxid = parentPzxid;
    });
  }

  private setData(path: string, data: Buffer | null, version: number, txn: Txn, changes: TreeChange[], undo: Undo[] | null): Stat {
    if (!isValidPath(path)) fail(ErrorCode.BADARGUMENTS);
    const node = this.nodes.get(path) ?? fail(ErrorCode.NONODE);
    if (!this.allowed(node, Perms.WRITE, txn.auth)) fail(ErrorCode.NOAUTH);
    if (version !== -1 && version !== node.version) fail(ErrorCode.BADVERSION);
    const before = { data: node.data, version: node.version, mzxid: node.mzxid, mtime: node.mtime };
    this.beforeChange(path, node);
    node.data = storedData(data);
    node.version = (node.version + 1) | 0;
    node.mzxid = txn.hdr.zxid;
    node.mtime = txn.hdr.time;
    changes.push({ type: 'dataChanged', path });
    undo?.push(() => Object.assign(node, before));
    return node.toStat();
  }

  /** CheckVersion needs READ (PrepRequestProcessor), not WRITE. */
  private check(path: string, version: number, auth: readonly Id[]): void {
    if (!isValidPath(path)) fail(ErrorCode.BADARGUMENTS);
    const node = this.nodes.get(path) ?? fail(ErrorCode.NONODE);
    if (!this.allowed(node, Perms.READ, auth)) fail(ErrorCode.NOAUTH);
    if (version !== -1 && version !== node.version) fail(ErrorCode.BADVERSION);
  }

  private setAcl(path: string, aclIn: ACL[], version: number, txn: Txn): Stat {
    if (!isValidPath(path)) fail(ErrorCode.BADARGUMENTS);
    const acl = fixupAcl(aclIn, txn.auth) ?? fail(ErrorCode.INVALIDACL);
    const node = this.nodes.get(path) ?? fail(ErrorCode.NONODE);
    if (!this.allowed(node, Perms.ADMIN, txn.auth)) fail(ErrorCode.NOAUTH);
    if (version !== -1 && version !== node.aversion) fail(ErrorCode.BADVERSION);
    const next = this.acls.intern(acl);
    this.beforeChange(path, node);
    this.acls.release(node.acl);
    node.acl = next;
    node.aversion = (node.aversion + 1) | 0;
    return node.toStat();
  }

  /** Deletes every ephemeral of the session in this one txn, and forgets the session. */
  private closeSession(sessionId: bigint, zxid: bigint): TreeChange[] {
    const changes: TreeChange[] = [];
    const owned = this.ephemerals.get(sessionId);
    if (owned) {
      for (const path of [...owned]) {
        const node = this.nodes.get(path);
        const parent = this.nodes.get(parentPathOf(path, path.lastIndexOf('/')));
        if (node && parent) this.removeNode(path, node, parent, zxid, changes, null);
      }
    }
    this.ephemerals.delete(sessionId);
    this.sessionTable.delete(sessionId);
    return changes;
  }

  /** Server-generated cleanup, re-checked at apply: the node must still be an empty container / an expired TTL node. */
  private deleteIfStill(path: string, txn: Txn, kind: 'container' | 'ttl'): TreeChange[] {
    if (SPECIAL_PATHS.has(path)) fail(ErrorCode.BADARGUMENTS);
    const slash = path.lastIndexOf('/');
    if (slash < 0) fail(ErrorCode.BADARGUMENTS);
    const node = this.nodes.get(path) ?? fail(ErrorCode.NONODE);
    if (node.numChildren > 0) fail(ErrorCode.NOTEMPTY);
    // ZooKeeper answers BADVERSION when the node is not of the expected type any more.
    if (node.kind !== kind) fail(ErrorCode.BADVERSION);
    if (kind === 'ttl' && !this.ttlExpired(node, txn.hdr.time)) fail(ErrorCode.BADVERSION);
    const parent = this.nodes.get(parentPathOf(path, slash)) ?? fail(ErrorCode.NONODE);
    const changes: TreeChange[] = [];
    this.removeNode(path, node, parent, txn.hdr.zxid, changes, null);
    return changes;
  }

  private ttlExpired(node: ZNode, now: bigint): boolean {
    const ttl = ttlOf(node.ephemeralOwner);
    return ttl !== 0n && now - node.mtime > ttl;
  }

  private track(path: string, node: ZNode): void {
    switch (node.kind) {
      case 'ephemeral': {
        let set = this.ephemerals.get(node.ephemeralOwner);
        if (!set) this.ephemerals.set(node.ephemeralOwner, (set = new Set()));
        set.add(path);
        break;
      }
      case 'container':
        this.containers.add(path);
        break;
      case 'ttl':
        this.ttls.add(path);
        break;
      default:
        break;
    }
  }

  private untrack(path: string, node: ZNode): void {
    switch (node.kind) {
      case 'ephemeral': {
        const set = this.ephemerals.get(node.ephemeralOwner);
        if (set) {
          set.delete(path);
          if (set.size === 0) this.ephemerals.delete(node.ephemeralOwner);
        }
        break;
      }
      case 'container':
        this.containers.delete(path);
        break;
      case 'ttl':
        this.ttls.delete(path);
        break;
      default:
        break;
    }
  }

  // ---------------------------------------------------------------- reads

  private allowed(node: ZNode, perm: number, auth: readonly Id[]): boolean {
    return checkAcl(node.acl.acl, perm, auth, this.superDigest);
  }

  getData(path: string, auth: Id[]): ReadResult<{ data: Buffer | null; stat: Stat }> {
    const node = this.nodes.get(path);
    if (!node) return { err: ErrorCode.NONODE };
    if (!this.allowed(node, Perms.READ, auth)) return { err: ErrorCode.NOAUTH };
    return { err: 0, value: { data: dataBuffer(node.data), stat: node.toStat() } };
  }

  exists(path: string): Stat | null {
    return this.nodes.get(path)?.toStat() ?? null;
  }

  getChildren(path: string, auth: Id[]): ReadResult<{ children: string[]; stat: Stat }> {
    const node = this.nodes.get(path);
    if (!node) return { err: ErrorCode.NONODE };
    if (!this.allowed(node, Perms.READ, auth)) return { err: ErrorCode.NOAUTH };
    return { err: 0, value: { children: node.children ? [...node.children] : [], stat: node.toStat() } };
  }

  getEncodedChildren(path: string, auth: Id[]): ReadResult<{ encodedChildren: Buffer; stat: Stat }> {
    const node = this.nodes.get(path);
    if (!node) return { err: ErrorCode.NONODE };
    if (!this.allowed(node, Perms.READ, auth)) return { err: ErrorCode.NOAUTH };
    return { err: 0, value: { encodedChildren: node.encodedChildList(), stat: node.toStat() } };
  }

  getACL(path: string, auth: Id[]): ReadResult<{ acl: ACL[]; stat: Stat }> {
    const node = this.nodes.get(path);
    if (!node) return { err: ErrorCode.NONODE };
    if (!this.allowed(node, Perms.READ | Perms.ADMIN, auth)) return { err: ErrorCode.NOAUTH };
    const acl = this.allowed(node, Perms.ADMIN, auth) ? [...node.acl.acl] : maskDigests(node.acl.acl);
    return { err: 0, value: { acl, stat: node.toStat() } };
  }

  getAllChildrenNumber(path: string, auth: Id[]): ReadResult<number> {
    const node = this.nodes.get(path);
    if (!node) return { err: ErrorCode.NONODE };
    if (!this.allowed(node, Perms.READ, auth)) return { err: ErrorCode.NOAUTH };
    if (path === '/') return { err: 0, value: this.nodes.size - 1 };
    let count = 0;
    const stack = [path];
    for (let p = stack.pop(); p !== undefined; p = stack.pop()) {
      const children = this.nodes.get(p)?.children;
      if (!children) continue;
      for (const name of children) {
        count++;
        stack.push(p === '/' ? '/' + name : p + '/' + name);
      }
    }
    return { err: 0, value: count };
  }

  /** FinalRequestProcessor.getEphemerals: a plain string prefix; '', blank or '/' means all. Sorted. */
  getEphemerals(sessionId: bigint, prefix: string): string[] {
    const owned = this.ephemerals.get(sessionId);
    if (!owned) return [];
    const all = !prefix || prefix.trim() === '' || prefix.trim() === '/';
    return [...owned].filter((p) => all || p.startsWith(prefix)).sort();
  }

  /**
   * Whether identities `auth` may READ `path`, for filtering persistent/recursive watch events. A node the last
   * applied txn deleted is checked against the ACL it had, as ZooKeeper checks the deleted node's ACL.
   */
  mayRead(path: string, auth: Id[]): boolean {
    const acl = this.nodes.get(path)?.acl.acl ?? this.lastDeleted.get(path);
    return acl !== undefined && checkAcl(acl, Perms.READ, auth, this.superDigest);
  }

  sessions(): Iterable<SessionInfo> {
    return this.sessionTable.values();
  }

  findDeletable(now: bigint): { containers: string[]; expiredTTL: string[] } {
    const containers: string[] = [];
    const expiredTTL: string[] = [];
    for (const path of this.containers) {
      const node = this.nodes.get(path);
      // cversion > 0: a container is kept until it has had a child (ContainerManager).
      if (node && node.numChildren === 0 && node.cversion > 0) containers.push(path);
    }
    for (const path of this.ttls) {
      const node = this.nodes.get(path);
      if (node && node.numChildren === 0 && this.ttlExpired(node, now)) expiredTTL.push(path);
    }
    return { containers, expiredTTL };
  }

  // ---------------------------------------------------------------- snapshots

  /** Every node (parents before children), sessions and lastZxid; ACLs written once each. */
  serialize(): Buffer {
    const snapshot = new SnapshotInProgress(this.snapshotState());
    snapshot.step(Infinity);
    return snapshot.bytes();
  }

  /**
   * A snapshot as of now, to be written with step() between txns: the tree reports every change to a node the
   * snapshot has not written yet, so it stays exactly this moment's state. Starting one cancels the previous.
   */
  beginSnapshot(): SnapshotInProgress {
    this.snapshot?.cancel();
    this.snapshot = new SnapshotInProgress(this.snapshotState());
    return this.snapshot;
  }

  private snapshotState(): SnapshotState {
    return { lastZxid: this.zxid, sessions: [...this.sessionTable.values()], acls: [...this.acls.entries()], nodes: this.nodes };
  }

  /** Call before changing any field of a node the snapshot writes (data, stat, ACL) or deleting it. */
  private beforeChange(path: string, node: ZNode): void {
    const snapshot = this.snapshot;
    if (snapshot === null) return;
    if (snapshot.done) this.snapshot = null;
    else snapshot.beforeChange(path, node);
  }

  static deserialize(buf: Buffer, opts: TreeOptions = {}): DataTree {
    const tree = new DataTree(opts);
    tree.nodes.clear();
    for (const entry of [...tree.acls.entries()]) while (entry.refs > 0) tree.acls.release(entry);
    let entries: CachedAcl[] = [];
    // Siblings come one after another: their parent is looked up once, not once per child.
    let lastParentPath = '';
    let lastParent: ZNode | undefined;
    const snap = readSnapshot(buf, {
      onAcls: (acls) => {
        entries = acls.map((acl) => tree.acls.intern(acl));
      },
      onNode: (path, f, aclIndex) => {
        const acl = entries[aclIndex];
        if (!acl) throw new Error(`snapshot: ${path} has unknown ACL index ${aclIndex}`);
        const kind = kindOf(f.ephemeralOwner, tree.extendedTypesEnabled);
        const node = new ZNode(f.data, tree.acls.retain(acl), kind, f.czxid, f.mzxid, f.ctime, f.mtime, f.version, f.cversion, f.aversion, f.ephemeralOwner, f.pzxid);
        if (path !== '/') {
          const slash = path.lastIndexOf('/');
          if (lastParent === undefined || !isChildOf(path, slash, lastParentPath)) {
            lastParentPath = parentPathOf(path, slash);
            lastParent = tree.nodes.get(lastParentPath);
          }
          if (!lastParent) throw new Error(`snapshot: ${path} comes before its parent`);
          lastParent.addChild(path.slice(slash + 1));
        }
        tree.nodes.set(path, node);
        tree.track(path, node);
      },
    });
    // Drop the loading references: ACLs no node uses leave the cache.
    for (const entry of entries) tree.acls.release(entry);
    if (!tree.nodes.has('/')) throw new Error('snapshot: no root node');
    tree.zxid = snap.lastZxid;
    for (const s of snap.sessions) tree.sessionTable.set(s.sessionId, s);
    return tree;
  }
}
