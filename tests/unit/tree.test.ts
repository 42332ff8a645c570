import { describe, expect, it } from 'vitest';
import { DataTree } from '../../ensemble/tree/data-tree.ts';
import { digestId, OPEN_ACL_UNSAFE } from '../../ensemble/tree/acl.ts';
import { CONTAINER_EPHEMERAL_OWNER, ttlOwner } from '../../ensemble/tree/ephemeral-type.ts';
import type { ReadResult, Txn, TxnOp, TreeOptions, WriteOp } from '../../ensemble/tree/api.ts';
import { ErrorCode as E, Perms } from '../../ensemble/jute/constants.ts';
import type { ACL, Id } from '../../ensemble/jute/records.ts';
import { JuteReader } from '../../ensemble/jute/buffer.ts';

const OPEN = OPEN_ACL_UNSAFE as ACL[];
const world = (perms: number): ACL[] => [{ perms, id: { scheme: 'world', id: 'anyone' } }];
const digest = (user: string, pw: string): Id => ({ scheme: 'digest', id: digestId(user, pw) });

/** A tree plus a leader-like stamp: each txn gets the next zxid and a clock the test controls. */
class Harness {
  tree: DataTree;
  zxid = 100n;
  now = 1_000_000n;
  constructor(opts?: TreeOptions) {
    this.tree = new DataTree(opts);
  }
  txn(op: TxnOp, o: { session?: bigint; auth?: Id[] } = {}): Txn {
    return { hdr: { sessionId: o.session ?? 1n, cxid: 1, zxid: ++this.zxid, time: this.now }, auth: o.auth ?? [], op };
  }
  apply(op: TxnOp, o: { session?: bigint; auth?: Id[] } = {}) {
    return this.tree.apply(this.txn(op, o));
  }
  create(path: string, o: { data?: string | null; acl?: ACL[]; flags?: number; opcode?: 1 | 15 | 19 | 21; ttl?: bigint; session?: bigint; auth?: Id[] } = {}) {
    return this.apply(createOp(path, o), o);
  }
  stat(path: string) {
    const s = this.tree.exists(path);
    if (!s) throw new Error(`no ${path}`);
    return s;
  }
}

/** The value of a successful read; fails the test otherwise. */
function ok<V>(r: ReadResult<V>): V {
  if (!('value' in r)) throw new Error(`read failed with ${r.err}`);
  return r.value;
}

function createOp(path: string, o: { data?: string | null; acl?: ACL[]; flags?: number; opcode?: 1 | 15 | 19 | 21; ttl?: bigint } = {}): WriteOp {
  return {
    type: 'create',
    opcode: o.opcode ?? 15,
    path,
    data: o.data === undefined ? Buffer.from('') : o.data === null ? null : Buffer.from(o.data),
    acl: o.acl ?? OPEN,
    flags: o.flags ?? 0,
    ttl: o.ttl ?? -1n,
  };
}

describe('initial tree', () => {
  it('matches a fresh ZooKeeper 3.8: nodes, stats, ACLs and srvr node count', () => {
    const t = new DataTree();
    expect(t.nodeCount).toBe(5);
    expect(t.lastZxid).toBe(0n);
    const root = t.getData('/', []);
    expect(root).toMatchObject({ err: 0, value: { data: Buffer.alloc(0) } });
    expect(t.exists('/')).toMatchObject({ czxid: 0n, cversion: -1, numChildren: 1, aversion: 0, pzxid: 0n });
    expect(t.exists('/zookeeper')).toMatchObject({ cversion: -2, numChildren: 2 });
    expect(t.exists('/zookeeper/quota')).toMatchObject({ cversion: 0, numChildren: 0 });
    expect(t.exists('/zookeeper/config')).toMatchObject({ aversion: -1, dataLength: 0 });
    expect(t.getACL('/zookeeper/config', [])).toEqual({ err: 0, value: { acl: world(Perms.READ), stat: t.exists('/zookeeper/config') } });
    expect(t.getChildren('/zookeeper', [])).toMatchObject({ err: 0, value: { children: ['quota', 'config'] } });
    expect(t.getAllChildrenNumber('/', [])).toEqual({ err: 0, value: 3 });
  });
});

describe('create', () => {
  it('sets every Stat field and updates the parent', () => {
    const h = new Harness();
    const r = h.create('/a', { data: 'hello' });
    expect(r.err).toBe(0);
    expect(r.path).toBe('/a');
    const z = h.zxid;
    expect(r.stat).toEqual({
      czxid: z, mzxid: z, ctime: h.now, mtime: h.now, version: 0, cversion: 0, aversion: 0,
      ephemeralOwner: 0n, dataLength: 5, numChildren: 0, pzxid: z,
    });
    expect(r.changes).toEqual([{ type: 'created', path: '/a' }]);
    expect(h.stat('/')).toMatchObject({ cversion: 1 * 2 - 2, numChildren: 2, pzxid: z });
    expect(h.tree.lastZxid).toBe(z);
    expect(h.tree.nodeCount).toBe(6);
  });

  it('reports cversion as creates + deletes and names sequential nodes by the create count', () => {
    const h = new Harness();
    h.create('/a');
    expect(h.create('/a/s-', { flags: 2 }).path).toBe('/a/s-0000000000');
    h.create('/a/b');
    expect(h.apply({ type: 'delete', path: '/a/b', version: -1 }).err).toBe(0);
    const del = h.zxid;
    // Real ZooKeeper: cversion 3 after create, create, delete; the next suffix is 2 (creates so far).
    expect(h.stat('/a')).toMatchObject({ cversion: 3, numChildren: 1, pzxid: del });
    expect(h.create('/a/s-', { flags: 2 }).path).toBe('/a/s-0000000002');
    expect(h.create('/a/', { flags: 2 }).path).toBe('/a/0000000003');
    expect(h.create('/a/', { flags: 0 }).err).toBe(E.BADARGUMENTS);
  });

  it('keeps null data distinct from empty data', () => {
    const h = new Harness();
    h.create('/n', { data: null });
    expect(h.tree.getData('/n', [])).toMatchObject({ err: 0, value: { data: null } });
    expect(h.stat('/n').dataLength).toBe(0);
  });

  it('keeps its own copy of the data: neither the bytes it was given nor the ones it returned change it', () => {
    const h = new Harness();
    const frame = Buffer.alloc(8192, 0x61); // as a decoded request or txn: the data is a view into bigger bytes
    const onCreate = frame.subarray(100, 200);
    h.apply({ type: 'create', opcode: 1, path: '/d', data: onCreate, acl: OPEN, flags: 0, ttl: -1n });
    const created = ok(h.tree.getData('/d', [])).data!;
    expect(created.equals(onCreate)).toBe(true);
    frame.fill(0x7a);
    created.fill(0x7b);
    expect(ok(h.tree.getData('/d', [])).data!.toString()).toBe('a'.repeat(100));
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    h.apply({ type: 'setData', path: '/d', data: binary, version: -1 });
    binary.fill(0);
    const got = ok(h.tree.getData('/d', [])).data!;
    expect([...got]).toEqual(Array.from({ length: 256 }, (_, i) => i));
    expect(h.stat('/d').dataLength).toBe(256);
  });

  it('returns ZooKeeper error codes in its precedence', () => {
    const h = new Harness();
    h.create('/a');
    expect(h.create('/x/y').err).toBe(E.NONODE);
    expect(h.create('/x/y', { acl: [] }).err).toBe(E.INVALIDACL); // ACL before parent
    expect(h.create('/x//y').err).toBe(E.NONODE); // parent lookup before full path validation
    expect(h.create('/a//y').err).toBe(E.NONODE);
    expect(h.create('no-slash').err).toBe(E.BADARGUMENTS);
    expect(h.create('/a/b\u0000').err).toBe(E.BADARGUMENTS);
    expect(h.create('/a/.').err).toBe(E.BADARGUMENTS);
    expect(h.create('/a').err).toBe(E.NODEEXISTS);
    expect(h.create('/').err).toBe(E.NODEEXISTS);
    expect(h.create('/w', { flags: 99 }).err).toBe(E.BADARGUMENTS);
    expect(h.create('/zookeeper/foo').err).toBe(0);
    const failed = h.create('/a/q', { acl: [] });
    expect(failed.changes).toEqual([]);
    expect(h.tree.lastZxid).toBe(h.zxid); // failed txns consume their zxid too
  });

  it('refuses children of ephemerals, after ACL and existence checks', () => {
    const h = new Harness();
    h.apply({ type: 'createSession', timeout: 30000, password: Buffer.alloc(16) }, { session: 7n });
    const e = h.create('/e', { flags: 1, session: 7n });
    expect(e.stat?.ephemeralOwner).toBe(7n);
    expect(h.create('/e/c').err).toBe(E.NOCHILDRENFOREPHEMERALS);
    expect(h.create('/e/c', { acl: [] }).err).toBe(E.INVALIDACL);
    expect(h.create('/e', { flags: 1, session: 7n }).err).toBe(E.NODEEXISTS);
  });

  it('needs a live session for an ephemeral', () => {
    const h = new Harness();
    expect(h.create('/e', { flags: 1, session: 99n }).err).toBe(E.SESSIONEXPIRED);
    expect(h.create('/e', { flags: 3, session: 99n }).err).toBe(E.SESSIONEXPIRED);
  });
});

describe('containers and TTL nodes', () => {
  it('creates containers that hide their owner encoding and may have children', () => {
    const h = new Harness();
    const c = h.create('/c', { opcode: 19, flags: 4 });
    expect(c.err).toBe(0);
    expect(c.stat?.ephemeralOwner).toBe(0n);
    expect(h.create('/c/x').err).toBe(0);
    // create/create2 with the container flag make a plain persistent node, as ZooKeeper's CreateTxn does.
    h.create('/p', { opcode: 15, flags: 4 });
    expect(h.tree.findDeletable(h.now).containers).toEqual([]);
    expect(h.apply({ type: 'delete', path: '/c/x', version: -1 }).err).toBe(0);
    expect(h.tree.findDeletable(h.now).containers).toEqual(['/c']);
    const snap = DataTree.deserialize(h.tree.serialize());
    expect(snap.findDeletable(h.now).containers).toEqual(['/c']);
  });

  it('keeps a never-used container and deletes an empty used one only if still true at apply', () => {
    const h = new Harness();
    h.create('/c', { opcode: 19, flags: 4 });
    expect(h.tree.findDeletable(h.now).containers).toEqual([]);
    h.create('/c/x');
    expect(h.apply({ type: 'deleteContainer', path: '/c' }).err).toBe(E.NOTEMPTY);
    h.apply({ type: 'delete', path: '/c/x', version: -1 });
    h.create('/plain');
    expect(h.apply({ type: 'deleteContainer', path: '/plain' }).err).toBe(E.BADVERSION);
    expect(h.apply({ type: 'deleteContainer', path: '/nope' }).err).toBe(E.NONODE);
    const r = h.apply({ type: 'deleteContainer', path: '/c' }, { session: 0n });
    expect(r).toEqual({ err: 0, changes: [{ type: 'deleted', path: '/c' }] });
    expect(h.tree.exists('/c')).toBeNull();
  });

  it('validates TTL creates with ZooKeeper codes', () => {
    const off = new Harness();
    expect(off.create('/t', { opcode: 21, flags: 5, ttl: 100n }).err).toBe(E.UNIMPLEMENTED);
    const h = new Harness({ extendedTypesEnabled: true });
    expect(h.create('/t0', { opcode: 21, flags: 5, ttl: 0n }).err).toBe(E.BADARGUMENTS);
    expect(h.create('/tm', { opcode: 21, flags: 5, ttl: 0x10000000000n }).err).toBe(E.BADARGUMENTS);
    expect(h.create('/tp', { opcode: 21, flags: 0, ttl: 100n }).err).toBe(E.BADARGUMENTS);
    expect(h.create('/tp', { opcode: 21, flags: 0, ttl: -1n }).err).toBe(E.BADARGUMENTS);
    expect(h.create('/te', { opcode: 21, flags: 1, ttl: 100n }).err).toBe(E.BADARGUMENTS);
    expect(h.create('/tq', { opcode: 1, flags: 5 }).err).toBe(E.BADARGUMENTS);
    expect(h.create('/zz/t', { opcode: 21, flags: 5, ttl: 0n }).err).toBe(E.BADARGUMENTS); // before NONODE
    expect(h.create('/tmax', { opcode: 21, flags: 5, ttl: 0xffffffffffn }).err).toBe(0);
    const seq = h.create('/t-', { opcode: 21, flags: 6, ttl: 1000n });
    expect(seq.path).toMatch(/^\/t-\d{10}$/);
    expect(seq.stat?.ephemeralOwner).toBe(0n);
  });

  it('finds and deletes expired childless TTL nodes by mtime', () => {
    const h = new Harness({ extendedTypesEnabled: true });
    h.create('/t', { opcode: 21, flags: 5, ttl: 100n });
    expect(h.tree.findDeletable(h.now + 100n).expiredTTL).toEqual([]);
    expect(h.tree.findDeletable(h.now + 101n).expiredTTL).toEqual(['/t']);
    expect(h.apply({ type: 'deleteExpiredTTL', path: '/t' }).err).toBe(E.BADVERSION); // not expired at txn time
    h.now += 50n;
    h.apply({ type: 'setData', path: '/t', data: Buffer.from('x'), version: -1 }); // touching it restarts the clock
    h.now += 60n;
    expect(h.tree.findDeletable(h.now).expiredTTL).toEqual([]);
    h.now += 100n;
    expect(h.tree.findDeletable(h.now).expiredTTL).toEqual(['/t']);
    expect(h.apply({ type: 'deleteExpiredTTL', path: '/t' }).changes).toEqual([{ type: 'deleted', path: '/t' }]);
  });
});

describe('delete, setData, setACL', () => {
  it('deletes with version checks and ZooKeeper codes', () => {
    const h = new Harness();
    h.create('/a');
    h.create('/a/b');
    for (const p of ['/', '/zookeeper', '/zookeeper/quota', '/zookeeper/config', 'x']) {
      expect(h.apply({ type: 'delete', path: p, version: -1 }).err).toBe(E.BADARGUMENTS);
    }
    expect(h.apply({ type: 'delete', path: '/a/', version: -1 }).err).toBe(E.NONODE);
    expect(h.apply({ type: 'delete', path: '/nope/x', version: -1 }).err).toBe(E.NONODE);
    expect(h.apply({ type: 'delete', path: '/a', version: 7 }).err).toBe(E.BADVERSION); // before NOTEMPTY
    expect(h.apply({ type: 'delete', path: '/a', version: -1 }).err).toBe(E.NOTEMPTY);
    expect(h.apply({ type: 'delete', path: '/a/b', version: 0 })).toEqual({ err: 0, path: undefined, stat: undefined, changes: [{ type: 'deleted', path: '/a/b' }] });
    expect(h.stat('/a')).toMatchObject({ numChildren: 0, cversion: 2, pzxid: h.zxid });
  });

  it('sets data: version, mzxid, mtime, dataLength; ctime/czxid stay', () => {
    const h = new Harness();
    const c = h.create('/a', { data: 'x' });
    h.now += 5n;
    expect(h.apply({ type: 'setData', path: '/a', data: Buffer.from('abc'), version: 1 }).err).toBe(E.BADVERSION);
    const r = h.apply({ type: 'setData', path: '/a', data: Buffer.from('abc'), version: 0 });
    expect(r.stat).toMatchObject({ version: 1, mzxid: h.zxid, mtime: h.now, ctime: c.stat!.ctime, czxid: c.stat!.czxid, dataLength: 3 });
    expect(r.changes).toEqual([{ type: 'dataChanged', path: '/a' }]);
    expect(h.apply({ type: 'setData', path: '/zookeeper/config', data: null, version: -1 }).err).toBe(E.NOAUTH);
    expect(h.apply({ type: 'setData', path: '/nope', data: null, version: -1 }).err).toBe(E.NONODE);
    expect(h.apply({ type: 'setData', path: '/a/', data: null, version: -1 }).err).toBe(E.BADARGUMENTS);
  });

  it('sets ACLs: INVALIDACL before NONODE, NOAUTH before BADVERSION, aversion counts', () => {
    const h = new Harness();
    const bob = digest('bob', 'pw');
    h.create('/au', { acl: [{ perms: Perms.ALL, id: { scheme: 'auth', id: '' } }], auth: [bob] });
    expect(h.apply({ type: 'setACL', path: '/nope', acl: [], version: -1 }).err).toBe(E.INVALIDACL);
    expect(h.apply({ type: 'setACL', path: '/nope', acl: OPEN, version: -1 }).err).toBe(E.NONODE);
    expect(h.apply({ type: 'setACL', path: '/au', acl: OPEN, version: 5 }).err).toBe(E.NOAUTH);
    expect(h.apply({ type: 'setACL', path: '/au', acl: OPEN, version: 5 }, { auth: [bob] }).err).toBe(E.BADVERSION);
    const r = h.apply({ type: 'setACL', path: '/au', acl: OPEN, version: 0 }, { auth: [bob] });
    expect(r.stat?.aversion).toBe(1);
    expect(r.changes).toEqual([]);
    expect(h.tree.getACL('/au', [])).toMatchObject({ err: 0, value: { acl: OPEN } });
  });
});

describe('ACLs', () => {
  it('expands auth to the session digest ids and rejects invalid ids', () => {
    const h = new Harness();
    const ids = [{ scheme: 'ip', id: '127.0.0.1' }, digest('u1', 'p1'), digest('u2', 'p2')];
    h.create('/m', { acl: [{ perms: Perms.READ, id: { scheme: 'auth', id: 'ignored' } }, ...OPEN, ...OPEN], auth: ids });
    expect(h.tree.getACL('/m', ids)).toMatchObject({
      value: { acl: [{ perms: 1, id: ids[1] }, { perms: 1, id: ids[2] }, OPEN[0]] },
    });
    const bad = (id: Id, auth: Id[] = []) => h.create('/bad', { acl: [{ perms: 31, id }], auth }).err;
    expect(bad({ scheme: 'auth', id: '' }, [{ scheme: 'ip', id: '127.0.0.1' }])).toBe(E.INVALIDACL);
    expect(bad({ scheme: 'world', id: 'foo' })).toBe(E.INVALIDACL);
    expect(bad({ scheme: 'digest', id: 'user:' })).toBe(E.INVALIDACL);
    expect(bad({ scheme: 'digest', id: 'a:b:c' })).toBe(E.INVALIDACL);
    expect(bad({ scheme: 'ip', id: '1.2.3' })).toBe(E.INVALIDACL);
    expect(bad({ scheme: 'ip', id: '10.0.0.0/33' })).toBe(E.INVALIDACL);
    expect(bad({ scheme: 'super', id: '' })).toBe(E.INVALIDACL);
    expect(bad({ scheme: 'foo', id: 'x' })).toBe(E.INVALIDACL);
    expect(h.create('/ok1', { acl: [{ perms: 31, id: { scheme: 'digest', id: ':x' } }] }).err).toBe(0);
    expect(h.create('/ok2', { acl: [{ perms: 31, id: { scheme: 'ip', id: 'fe80::/64' } }] }).err).toBe(0);
  });

  it('checks perms for reads and writes: world, digest, ip (v4/v6 CIDR), super', () => {
    const superDigest = digestId('super', 'secret');
    const h = new Harness({ superDigest });
    const bob = digest('bob', 'pw');
    h.create('/d', { acl: [{ perms: Perms.READ, id: { scheme: 'world', id: 'anyone' } }, { perms: Perms.ALL, id: bob }] });
    h.create('/wo', { acl: world(Perms.WRITE) });
    h.create('/ip', { acl: [{ perms: Perms.ALL, id: { scheme: 'ip', id: '10.1.0.0/16' } }] });
    h.create('/ip6', { acl: [{ perms: Perms.ALL, id: { scheme: 'ip', id: '2001:db8::/32' } }] });
    const anon: Id[] = [];
    expect(h.tree.getData('/wo', anon).err).toBe(E.NOAUTH);
    expect(h.tree.getChildren('/wo', anon).err).toBe(E.NOAUTH);
    expect(h.tree.getACL('/wo', anon).err).toBe(E.NOAUTH);
    expect(h.tree.getAllChildrenNumber('/wo', anon).err).toBe(E.NOAUTH);
    expect(h.tree.exists('/wo')).not.toBeNull();
    expect(h.tree.getData('/nope', anon).err).toBe(E.NONODE);
    // getACL without ADMIN hides digest hashes.
    expect(h.tree.getACL('/d', anon)).toMatchObject({ err: 0, value: { acl: [{ perms: 1 }, { perms: 31, id: { scheme: 'digest', id: 'bob:x' } }] } });
    expect(h.tree.getACL('/d', [bob])).toMatchObject({ value: { acl: [{ perms: 1 }, { perms: 31, id: bob }] } });
    expect(h.apply({ type: 'setData', path: '/d', data: null, version: -1 }).err).toBe(E.NOAUTH);
    expect(h.apply({ type: 'setData', path: '/d', data: null, version: -1 }, { auth: [bob] }).err).toBe(0);
    expect(h.create('/d/c').err).toBe(E.NOAUTH);
    expect(h.create('/d/c', { auth: [bob] }).err).toBe(0);
    expect(h.apply({ type: 'delete', path: '/d/c', version: -1 }).err).toBe(E.NOAUTH);
    expect(h.apply({ type: 'delete', path: '/d/zzz', version: -1 }).err).toBe(E.NOAUTH); // parent perm before existence
    expect(h.tree.getData('/ip', [{ scheme: 'ip', id: '10.1.200.3' }]).err).toBe(0);
    expect(h.tree.getData('/ip', [{ scheme: 'ip', id: '10.2.0.1' }]).err).toBe(E.NOAUTH);
    expect(h.tree.getData('/ip6', [{ scheme: 'ip', id: '2001:db8:1::5' }]).err).toBe(0);
    expect(h.tree.getData('/ip6', [{ scheme: 'ip', id: '2001:db9::5' }]).err).toBe(E.NOAUTH);
    expect(h.tree.getData('/ip6', [{ scheme: 'ip', id: '10.1.0.1' }]).err).toBe(E.NOAUTH);
    const sup: Id[] = [{ scheme: 'digest', id: superDigest }];
    expect(h.tree.getData('/wo', sup).err).toBe(0);
    expect(h.tree.getACL('/d', sup)).toMatchObject({ value: { acl: [{ perms: 1 }, { id: bob }] } });
    expect(h.apply({ type: 'setData', path: '/zookeeper/config', data: null, version: -1 }, { auth: sup }).err).toBe(0);
    // Without a configured superDigest, "super:..." is just another digest user.
    const plain = new Harness();
    plain.create('/wo', { acl: world(Perms.WRITE) });
    expect(plain.tree.getData('/wo', sup).err).toBe(E.NOAUTH);
  });

  it('shares one ACL array between nodes with equal ACLs', () => {
    const h = new Harness();
    const bob = digest('bob', 'pw');
    for (let i = 0; i < 50; i++) h.create(`/n${i}`, { acl: [{ perms: 31, id: bob }] });
    const a = h.tree.getACL('/n1', [bob]);
    const b = h.tree.getACL('/n2', [bob]);
    expect(ok(a).acl).toEqual(ok(b).acl);
    // Snapshot stores the ACL once: 50 nodes with one extra distinct ACL add far less than 50 ACL bodies.
    const before = h.tree.serialize().length;
    h.create('/n50', { acl: [{ perms: 31, id: bob }] });
    const grown = h.tree.serialize().length - before;
    expect(grown).toBeLessThan(4 + 4 + 4 + 8 * 6 + 4 * 3 + 10);
  });
});

describe('check and multi', () => {
  it('check needs READ and a matching version', () => {
    const h = new Harness();
    h.create('/ro', { acl: world(Perms.READ) });
    h.create('/wo', { acl: world(Perms.WRITE) });
    expect(h.apply({ type: 'multi', ops: [{ type: 'check', path: '/ro', version: 0 }] }).results).toEqual([{ type: 13 }]);
    expect(h.apply({ type: 'multi', ops: [{ type: 'check', path: '/wo', version: 0 }] }).results).toEqual([{ type: -1, err: E.NOAUTH }]);
    expect(h.apply({ type: 'check', path: '/ro', version: 3 }).err).toBe(E.BADVERSION);
  });

  it('is all-or-nothing with ZooKeeper per-op results on failure', () => {
    const h = new Harness();
    h.create('/a');
    const before = h.tree.serialize();
    const r = h.apply({
      type: 'multi',
      ops: [
        createOp('/m1', { opcode: 1 }),
        createOp('/a/s', { flags: 2 }),
        { type: 'setData', path: '/a', data: Buffer.from('x'), version: -1 },
        { type: 'delete', path: '/a/s0000000000', version: -1 },
        { type: 'check', path: '/m1', version: 5 },
        { type: 'delete', path: '/m1', version: -1 },
      ],
    });
    expect(r.err).toBe(0);
    expect(r.changes).toEqual([]);
    expect(r.results).toEqual([
      { type: -1, err: 0 }, { type: -1, err: 0 }, { type: -1, err: 0 }, { type: -1, err: 0 },
      { type: -1, err: E.BADVERSION }, { type: -1, err: E.RUNTIMEINCONSISTENCY },
    ]);
    expect(h.tree.exists('/m1')).toBeNull();
    // Nothing changed but lastZxid.
    const after = DataTree.deserialize(h.tree.serialize());
    const reference = DataTree.deserialize(before);
    expect(after.getData('/a', [])).toEqual(reference.getData('/a', []));
    expect(after.nodeCount).toBe(reference.nodeCount);
    expect(h.create('/a/s', { flags: 2 }).path).toBe('/a/s0000000000');
  });

  it('applies every op at one zxid and reports per-op results', () => {
    const h = new Harness({ extendedTypesEnabled: true });
    h.create('/p');
    const r = h.apply({
      type: 'multi',
      ops: [
        createOp('/p/s', { opcode: 1, flags: 2 }),
        createOp('/p/s', { opcode: 15, flags: 2 }),
        createOp('/p/c', { opcode: 19, flags: 4 }),
        createOp('/p/t', { opcode: 21, flags: 5, ttl: 50n }),
        { type: 'setData', path: '/p/c', data: Buffer.from('q'), version: -1 },
        { type: 'check', path: '/p/c', version: 1 },
        { type: 'delete', path: '/p/s0000000000', version: -1 },
      ],
    });
    const z = h.zxid;
    const fresh = { czxid: z, mzxid: z, ctime: h.now, mtime: h.now, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, dataLength: 0, numChildren: 0, pzxid: z };
    expect(r.results).toEqual([
      { type: 1, path: '/p/s0000000000' },
      { type: 1, path: '/p/s0000000001' },
      { type: 15, path: '/p/c', stat: fresh },
      { type: 15, path: '/p/t', stat: fresh },
      { type: 5, stat: { ...fresh, version: 1, dataLength: 1 } },
      { type: 13 },
      { type: 2 },
    ]);
    expect(r.changes.map((c) => `${c.type} ${c.path}`)).toEqual([
      'created /p/s0000000000', 'created /p/s0000000001', 'created /p/c', 'created /p/t',
      'dataChanged /p/c', 'deleted /p/s0000000000',
    ]);
    expect(h.stat('/p')).toMatchObject({ cversion: 5, numChildren: 3, pzxid: z });
    expect(h.apply({ type: 'multi', ops: [] })).toEqual({ err: 0, results: [], changes: [] });
  });

  it('rolls back deletes, ephemerals and ACL references', () => {
    const h = new Harness();
    h.apply({ type: 'createSession', timeout: 1000, password: Buffer.alloc(16) }, { session: 5n });
    h.create('/e', { flags: 1, session: 5n, acl: [{ perms: 31, id: digest('x', 'y') }] });
    const r = h.apply({ type: 'multi', ops: [{ type: 'delete', path: '/e', version: -1 }, createOp('/nope/x')] }, { session: 5n });
    expect(r.results?.[1]).toEqual({ type: -1, err: E.NONODE });
    expect(h.tree.getEphemerals(5n, '/')).toEqual(['/e']);
    expect(h.tree.getACL('/e', [digest('x', 'y')])).toMatchObject({ err: 0, value: { acl: [{ id: digest('x', 'y') }] } });
    expect(h.apply({ type: 'closeSession' }, { session: 5n }).changes).toEqual([{ type: 'deleted', path: '/e' }]);
  });
});

describe('sessions', () => {
  it('closeSession deletes every ephemeral of the session in one change set', () => {
    const h = new Harness();
    h.apply({ type: 'createSession', timeout: 30000, password: Buffer.from('pw') }, { session: 9n });
    h.apply({ type: 'createSession', timeout: 30000, password: Buffer.from('pw') }, { session: 10n });
    h.create('/eph');
    h.create('/eph/a', { flags: 1, session: 9n });
    h.create('/eph/b', { flags: 3, session: 9n });
    h.create('/other', { flags: 1, session: 10n });
    expect([...h.tree.sessions()].map((s) => s.sessionId)).toEqual([9n, 10n]);
    expect(h.tree.getEphemerals(9n, '/eph')).toEqual(['/eph/a', '/eph/b0000000001']);
    expect(h.tree.getEphemerals(9n, '/ep')).toHaveLength(2);
    expect(h.tree.getEphemerals(9n, '/x')).toEqual([]);
    expect(h.stat('/eph').cversion).toBe(2);
    const r = h.apply({ type: 'closeSession' }, { session: 9n });
    expect(r.changes).toEqual([
      { type: 'deleted', path: '/eph/a' },
      { type: 'deleted', path: '/eph/b0000000001' },
    ]);
    // Real ZooKeeper: cversion 2 → 4, pzxid = the close txn.
    expect(h.stat('/eph')).toMatchObject({ cversion: 4, numChildren: 0, pzxid: h.zxid });
    expect([...h.tree.sessions()].map((s) => s.sessionId)).toEqual([10n]);
    expect(h.tree.exists('/other')).not.toBeNull();
    expect(h.tree.getEphemerals(9n, '')).toEqual([]);
  });
});

describe('reads', () => {
  it('getAllChildrenNumber counts every descendant', () => {
    const h = new Harness();
    h.create('/a');
    h.create('/a/b');
    h.create('/a/b/c');
    h.create('/a/d');
    expect(h.tree.getAllChildrenNumber('/a', [])).toEqual({ err: 0, value: 3 });
    expect(h.tree.getAllChildrenNumber('/', [])).toEqual({ err: 0, value: 7 });
    expect(h.tree.getAllChildrenNumber('/a/d', [])).toEqual({ err: 0, value: 0 });
    expect(h.tree.getAllChildrenNumber('/zz', []).err).toBe(E.NONODE);
  });

  it('mayRead checks the ACL a node had when the last txn deleted it', () => {
    const h = new Harness();
    const bob = digest('bob', 'pw');
    h.create('/s', { acl: [{ perms: 31, id: bob }] });
    expect(h.tree.mayRead('/s', [])).toBe(false);
    expect(h.tree.mayRead('/s', [bob])).toBe(true);
    h.apply({ type: 'delete', path: '/s', version: -1 }, { auth: [bob] });
    expect(h.tree.mayRead('/s', [bob])).toBe(true);
    expect(h.tree.mayRead('/s', [])).toBe(false);
    expect(h.tree.mayRead('/never', [bob])).toBe(false);
  });
});

describe('snapshot', () => {
  it('round-trips every node, stat, ACL, session, node kind and lastZxid', () => {
    const h = new Harness({ extendedTypesEnabled: true });
    const bob = digest('bob', 'pw');
    h.apply({ type: 'createSession', timeout: 4000, password: Buffer.from('secret-password!') }, { session: 3n });
    h.create('/a', { data: 'A' });
    h.create('/a/b', { data: null, acl: [{ perms: 31, id: bob }] });
    h.create('/a/e', { flags: 1, session: 3n });
    h.create('/c', { opcode: 19, flags: 4 });
    h.create('/t', { opcode: 21, flags: 5, ttl: 10n });
    h.create('/a/s', { flags: 2 });
    h.apply({ type: 'setData', path: '/a', data: Buffer.from('AA'), version: -1 });
    h.apply({ type: 'delete', path: '/a/s0000000002', version: -1 });
    const copy = DataTree.deserialize(h.tree.serialize(), { extendedTypesEnabled: true });
    expect(copy.lastZxid).toBe(h.tree.lastZxid);
    expect(copy.nodeCount).toBe(h.tree.nodeCount);
    expect([...copy.sessions()]).toEqual([...h.tree.sessions()]);
    const walk = (t: DataTree, path: string, out: unknown[] = []): unknown[] => {
      const d = t.getData(path, [bob]);
      const c = t.getChildren(path, [bob]);
      out.push(path, d, t.getACL(path, [bob]), c);
      if ('value' in c) for (const name of c.value.children) walk(t, path === '/' ? `/${name}` : `${path}/${name}`, out);
      return out;
    };
    expect(walk(copy, '/')).toEqual(walk(h.tree, '/'));
    expect(copy.getEphemerals(3n, '/')).toEqual(['/a/e']);
    expect(copy.findDeletable(h.now + 11n)).toEqual(h.tree.findDeletable(h.now + 11n));
    expect(copy.findDeletable(h.now + 11n).expiredTTL).toEqual(['/t']);
    // The copy keeps working: sequence numbers continue, closeSession finds the ephemeral.
    const t2 = new Harness({ extendedTypesEnabled: true });
    t2.tree = copy;
    t2.zxid = h.zxid;
    expect(t2.create('/a/s', { flags: 2 }).path).toBe('/a/s0000000003'); // b, e, s were created under /a
    expect(t2.apply({ type: 'closeSession' }, { session: 3n }).changes).toEqual([{ type: 'deleted', path: '/a/e' }]);
  });

  it('restores every parent/child link of a deep, uneven tree, whatever order its nodes were created in', () => {
    const h = new Harness();
    const paths = ['/'];
    let seed = 7;
    const next = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (let i = 0; i < 600; i++) {
      const parent = paths[next(paths.length)]!;
      // Names that share prefixes with their uncles (/a1 vs /a1x) and with their parents' siblings.
      const path = `${parent === '/' ? '' : parent}/${['a', 'a1', 'a1x', 'b'][next(4)]}${i % 3 === 0 ? '' : i}`;
      if (h.create(path, { data: i % 5 === 0 ? '' : `v${i}` }).err === 0) paths.push(path);
    }
    const copy = DataTree.deserialize(h.tree.serialize());
    for (const path of paths) {
      expect(ok(copy.getChildren(path, [])).children.sort(), path).toEqual(ok(h.tree.getChildren(path, [])).children.sort());
      expect(ok(copy.getData(path, [])), path).toEqual(ok(h.tree.getData(path, [])));
    }
    expect(paths.length).toBeGreaterThan(300);
  });

  it('refuses corrupt snapshots', () => {
    const buf = new DataTree().serialize();
    expect(() => DataTree.deserialize(buf.subarray(0, buf.length - 3))).toThrow();
    const bad = Buffer.from(buf);
    bad.writeInt32BE(0, 0);
    expect(() => DataTree.deserialize(bad)).toThrow(/magic/);
    expect(() => DataTree.deserialize(Buffer.concat([buf, Buffer.alloc(1)]))).toThrow(/trailing/);
  });
});

describe('owner encodings', () => {
  it('uses EphemeralType encodings internally', () => {
    expect(CONTAINER_EPHEMERAL_OWNER).toBe(-(2n ** 63n));
    expect(BigInt.asUintN(64, ttlOwner(100n))).toBe(0xff00000000000064n);
  });
});

describe('encoded child lists', () => {
  const decode = (buf: Buffer): string[] => new JuteReader(buf).vector((r) => r.string()!) ?? [];

  it('follows every create and delete, and matches getChildren and its Stat', () => {
    const h = new Harness();
    h.create('/p');
    expect(decode(ok(h.tree.getEncodedChildren('/p', [])).encodedChildren)).toEqual([]);
    h.create('/p/a');
    h.create('/p/ü-é');
    const first = ok(h.tree.getEncodedChildren('/p', []));
    expect(decode(first.encodedChildren)).toEqual(ok(h.tree.getChildren('/p', [])).children);
    expect(decode(first.encodedChildren).sort()).toEqual(['a', 'ü-é']);
    // Unchanged list: the same bytes are reused, not re-encoded.
    expect(ok(h.tree.getEncodedChildren('/p', [])).encodedChildren).toBe(first.encodedChildren);
    h.apply({ type: 'delete', path: '/p/a', version: -1 });
    h.create('/p/b');
    const after = ok(h.tree.getEncodedChildren('/p', []));
    expect(decode(after.encodedChildren).sort()).toEqual(['b', 'ü-é']);
    expect(after.stat).toEqual(h.stat('/p'));
    h.apply({ type: 'delete', path: '/p/b', version: -1 });
    h.apply({ type: 'delete', path: '/p/ü-é', version: -1 });
    expect(decode(ok(h.tree.getEncodedChildren('/p', [])).encodedChildren)).toEqual([]);
  });

  it('applies the same READ check as getChildren', () => {
    const h = new Harness();
    h.create('/secret', { acl: world(Perms.WRITE) });
    expect(h.tree.getEncodedChildren('/secret', []).err).toBe(E.NOAUTH);
    expect(h.tree.getEncodedChildren('/missing', []).err).toBe(E.NONODE);
  });
});

describe('scale', () => {
  it('applies 20k creates under one parent and lists them quickly', () => {
    const h = new Harness();
    h.create('/big');
    const start = performance.now();
    for (let i = 0; i < 20_000; i++) h.create(`/big/n${i}`, { data: 'v' });
    const kids = h.tree.getChildren('/big', []);
    expect(ok(kids).children.length).toBe(20_000);
    expect(h.stat('/big').numChildren).toBe(20_000);
    expect(performance.now() - start).toBeLessThan(5000);
  });
});
