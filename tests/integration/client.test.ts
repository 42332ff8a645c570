/**
 * Our client against a real server: Apache ZooKeeper 3.8 (the reference) and our own ensemble node.
 * Every expectation here is ZooKeeper's behaviour; the Apache run proves it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApacheZk, type RunningServer } from '../helpers/apache-zk.ts';
import { startOurServer } from '../helpers/our-server.ts';
import { apacheZkUnavailable, ourServerUnavailable, skipReason } from '../helpers/compat-env.ts';
import {
  AddWatchMode,
  CreateMode,
  ErrorCode,
  EventType,
  KeeperState,
  OPEN_ACL_UNSAFE,
  OpCode,
  Perms,
  WatcherType,
  ZkClient,
  ZkError,
  digestAcl,
  op,
  type WatchedEvent,
} from '../../ensemble/client/index.ts';

const targets = [
  // zoo.cfg keys ZooKeeper does not know become `zookeeper.*` system properties: this one enables TTL nodes.
  { name: 'Apache ZooKeeper', start: () => startApacheZk({ tickTime: 500, config: { extendedTypesEnabled: 'true' } }), needs: apacheZkUnavailable },
  { name: 'our server', start: () => startOurServer({ tickTime: 500, config: { extendedTypesEnabled: 'true' } }), needs: ourServerUnavailable },
];

async function rejection(p: Promise<unknown>): Promise<ZkError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ZkError);
    return e as ZkError;
  }
  throw new Error('expected a rejection');
}

/** Resolves with the next `n` events a watcher receives. */
function collector(): { watcher: (e: WatchedEvent) => void; events: WatchedEvent[]; next(n?: number): Promise<WatchedEvent[]> } {
  const events: WatchedEvent[] = [];
  let waiters: Array<() => void> = [];
  return {
    events,
    watcher: (e) => {
      events.push(e);
      const ws = waiters;
      waiters = [];
      ws.forEach((w) => w());
    },
    async next(n = 1) {
      const deadline = Date.now() + 5000;
      while (events.length < n) {
        if (Date.now() > deadline) throw new Error(`only ${events.length} of ${n} events arrived`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return events.slice(0, n);
    },
  };
}

for (const target of targets) {
  const skip = skipReason(`client against ${target.name}`, target.needs);
  describe.skipIf(skip !== null)(`client against ${target.name}`, () => {
    let server: RunningServer;
    let zk: ZkClient;
    const extra: ZkClient[] = [];
    let n = 0;
    const fresh = (): string => `/t${++n}`;
    const another = async (suffix = ''): Promise<ZkClient> => {
      const c = await ZkClient.connect(server.connectString + suffix, { sessionTimeout: 4000 });
      extra.push(c);
      return c;
    };

    beforeAll(async () => {
      server = await target.start();
      zk = await ZkClient.connect(server.connectString, { sessionTimeout: 4000 });
    });
    afterEach(async () => {
      await Promise.all(extra.splice(0).map((c) => c.close()));
    });
    afterAll(async () => {
      await zk?.close();
      await server?.stop();
    });

    it('connects with a session and negotiated timeout', () => {
      expect(zk.state).toBe('connected');
      expect(zk.sessionId).not.toBe(0n);
      expect(zk.sessionPassword.length).toBe(16);
      expect(zk.sessionTimeout).toBe(4000);
    });

    it('creates, reads, updates and deletes with ZooKeeper error codes', async () => {
      const p = fresh();
      expect(await zk.create(p, 'v1')).toBe(p);
      const got = await zk.getData(p);
      expect(got.data?.toString()).toBe('v1');
      expect(got.stat.version).toBe(0);
      expect(got.stat.dataLength).toBe(2);
      expect((await rejection(zk.create(p))).code).toBe(ErrorCode.NODEEXISTS);
      const stat = await zk.setData(p, Buffer.from('v2'), 0);
      expect(stat.version).toBe(1);
      const bad = await rejection(zk.setData(p, 'v3', 0));
      expect(bad.code).toBe(ErrorCode.BADVERSION);
      expect(bad.codeName).toBe('BADVERSION');
      expect(bad.path).toBe(p);
      await zk.create(`${p}/child`);
      expect((await rejection(zk.delete(p))).code).toBe(ErrorCode.NOTEMPTY);
      expect((await rejection(zk.create(`${p}/no/parent`))).code).toBe(ErrorCode.NONODE);
      await zk.delete(`${p}/child`);
      await zk.delete(p, 1);
      expect(await zk.exists(p)).toBeNull();
      expect((await rejection(zk.getData(p))).code).toBe(ErrorCode.NONODE);
    });

    it('keeps null data distinct from empty data', async () => {
      const p = fresh();
      await zk.create(p, null);
      expect((await zk.getData(p)).data).toBeNull();
      await zk.setData(p, '');
      expect((await zk.getData(p)).data).toEqual(Buffer.alloc(0));
    });

    it('creates sequential, ephemeral and container nodes; create2 returns the stat', async () => {
      const p = fresh();
      const { path, stat } = await zk.create2(p, 'x');
      expect(path).toBe(p);
      expect(stat.czxid).toBeGreaterThan(0n);
      const s1 = await zk.create(`${p}/s-`, null, { mode: CreateMode.PERSISTENT_SEQUENTIAL });
      const s2 = await zk.create(`${p}/s-`, null, { mode: CreateMode.EPHEMERAL_SEQUENTIAL });
      expect(s1).toBe(`${p}/s-0000000000`);
      expect(s2).toBe(`${p}/s-0000000001`);
      expect((await zk.exists(s2))!.ephemeralOwner).toBe(zk.sessionId);
      expect(await zk.getEphemerals(p)).toEqual([s2]);
      const c = await zk.create(`${p}/box`, null, { mode: CreateMode.CONTAINER });
      expect(c).toBe(`${p}/box`);
      expect((await zk.getChildren(p)).sort()).toEqual(['box', 's-0000000000', 's-0000000001']);
      const { children, stat: parent } = await zk.getChildren2(p);
      expect(children).toHaveLength(3);
      expect(parent.numChildren).toBe(3);
      expect(await zk.getAllChildrenNumber(p)).toBe(3);
      expect((await rejection(zk.create(`${p}/e`, null, { mode: CreateMode.EPHEMERAL }).then(() => zk.create(`${p}/e/kid`)))).code).toBe(
        ErrorCode.NOCHILDRENFOREPHEMERALS,
      );
    });

    it('creates TTL nodes with createTTL and checks the TTL client-side', async () => {
      const p = fresh();
      expect(await zk.create(p, 'x', { mode: CreateMode.PERSISTENT_WITH_TTL, ttl: 60_000 })).toBe(p);
      const seq = await zk.create2(`${p}-`, 'y', { mode: CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, ttl: 60_000 });
      expect(seq.path).toMatch(new RegExp(`^${p}-\\d{10}$`));
      // Clients see 0 as the owner of TTL and container nodes; the TTL is server-side bookkeeping.
      expect((await zk.exists(p))!.ephemeralOwner).toBe(0n);
      expect((await rejection(zk.create(`${p}/n`, null, { mode: CreateMode.PERSISTENT_WITH_TTL }))).code).toBe(ErrorCode.BADARGUMENTS);
      expect((await rejection(zk.create(`${p}/n`, null, { mode: CreateMode.PERSISTENT, ttl: 5 }))).code).toBe(ErrorCode.BADARGUMENTS);
    });

    it('keeps running other watchers when one throws', async () => {
      const p = fresh();
      await zk.create(p);
      const seen: string[] = [];
      const original = console.error;
      console.error = () => seen.push('logged');
      try {
        await zk.getData(p, () => {
          throw new Error('boom');
        });
        await zk.exists(p, () => seen.push('second'));
        await zk.setData(p, 'x');
        await zk.sync(p);
      } finally {
        console.error = original;
      }
      expect(seen.sort()).toEqual(['logged', 'second']);
      expect(zk.state).toBe('connected');
    });

    it('removes a closed session\'s ephemerals', async () => {
      const p = fresh();
      await zk.create(p);
      const other = await another();
      await other.create(`${p}/e`, null, { mode: CreateMode.EPHEMERAL });
      expect(await zk.exists(`${p}/e`)).not.toBeNull();
      await other.close();
      expect(other.state).toBe('closed');
      expect(await zk.exists(`${p}/e`)).toBeNull();
      expect((await rejection(other.getData(p))).code).toBe(ErrorCode.SESSIONEXPIRED);
    });

    it('validates paths before sending', async () => {
      const e = await rejection(zk.create('no-slash'));
      expect(e.code).toBe(ErrorCode.BADARGUMENTS);
      expect((await rejection(zk.getData('/a//b'))).code).toBe(ErrorCode.BADARGUMENTS);
      expect(zk.state).toBe('connected');
    });

    it('pipelines many requests and answers each in order', async () => {
      const p = fresh();
      await zk.create(p);
      const writes = Array.from({ length: 200 }, (_, i) => zk.setData(p, String(i)));
      const stats = await Promise.all(writes);
      expect(stats.map((s) => s.version)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      expect((await zk.getData(p)).data?.toString()).toBe('199');
    });

    it('applies ACLs and digest auth', async () => {
      const p = fresh();
      await zk.create(p, 'secret', { acl: [digestAcl('alice', 'pw', Perms.ALL)] });
      const stranger = await another();
      expect((await rejection(stranger.getData(p))).code).toBe(ErrorCode.NOAUTH);
      await stranger.addAuth('digest', 'alice:pw');
      expect((await stranger.getData(p)).data?.toString()).toBe('secret');
      expect(await stranger.whoAmI()).toContainEqual({ authScheme: 'digest', user: 'alice' });
      const { acl, stat } = await stranger.getACL(p);
      expect(acl).toEqual([digestAcl('alice', 'pw', Perms.ALL)]);
      const after = await stranger.setACL(p, OPEN_ACL_UNSAFE, stat.aversion);
      expect(after.aversion).toBe(1);
      expect((await zk.getData(p)).data?.toString()).toBe('secret');
      expect((await rejection(zk.setACL(p, []))).code).toBe(ErrorCode.INVALIDACL);
    });

    it('runs multi atomically and reports the failing op', async () => {
      const p = fresh();
      const results = await zk.multi([op.create(p, 'a'), op.create(`${p}/c`, 'b'), op.setData(p, 'c'), op.check(p, 1)]);
      expect(results.map((r) => r.type)).toEqual([OpCode.create, OpCode.create, OpCode.setData, OpCode.check]);
      expect(results[1]).toEqual({ type: OpCode.create, path: `${p}/c` });
      const e = await rejection(zk.multi([op.delete(`${p}/c`), op.check(p, 7), op.delete(p)]));
      expect(e.code).toBe(ErrorCode.BADVERSION);
      expect(e.results?.map((r) => (r.type === OpCode.error ? r.err : 'ok'))).toEqual([0, ErrorCode.BADVERSION, ErrorCode.RUNTIMEINCONSISTENCY]);
      expect(await zk.exists(`${p}/c`)).not.toBeNull();
      const reads = await zk.multiRead([op.getData(p), op.getChildren(p), op.getData(`${p}/none`)]);
      expect(reads[0]).toMatchObject({ type: OpCode.getData, data: Buffer.from('c') });
      expect(reads[1]).toEqual({ type: OpCode.getChildren, children: ['c'] });
      expect(reads[2]).toEqual({ type: OpCode.error, err: ErrorCode.NONODE });
    });

    it('fires a one-time watch once, even for a watcher registered several ways', async () => {
      const p = fresh();
      await zk.create(p, 'a');
      const col = collector();
      expect(await zk.exists(p, col.watcher)).not.toBeNull();
      await zk.getData(p, col.watcher);
      await zk.setData(p, 'b');
      expect(await col.next()).toEqual([{ type: EventType.NodeDataChanged, state: KeeperState.SyncConnected, path: p }]);
      await zk.setData(p, 'c');
      await zk.sync(p);
      await new Promise((r) => setTimeout(r, 100));
      expect(col.events).toHaveLength(1);
    });

    it('delivers a watch event before the reply that shows the change', async () => {
      const p = fresh();
      await zk.create(p, 'a');
      const other = await another();
      const seen: string[] = [];
      await zk.getData(p, () => seen.push('event'));
      await other.setData(p, 'b');
      const { data } = await zk.getData(p);
      seen.push(`read ${data?.toString()}`);
      expect(seen).toEqual(['event', 'read b']);
    });

    it('watches existence, children and deletion', async () => {
      const p = fresh();
      const created = collector();
      expect(await zk.exists(p, created.watcher)).toBeNull();
      await zk.create(p);
      expect((await created.next())[0]).toMatchObject({ type: EventType.NodeCreated, path: p });
      const kids = collector();
      await zk.getChildren(p, kids.watcher);
      await zk.create(`${p}/k`);
      expect((await kids.next())[0]).toMatchObject({ type: EventType.NodeChildrenChanged, path: p });
      const gone = collector();
      await zk.getData(`${p}/k`, gone.watcher);
      await zk.getChildren(`${p}/k`, gone.watcher);
      await zk.delete(`${p}/k`);
      expect(await gone.next()).toEqual([{ type: EventType.NodeDeleted, state: KeeperState.SyncConnected, path: `${p}/k` }]);
    });

    it('sends boolean watches to the default watcher', async () => {
      const col = collector();
      const c = await ZkClient.connect(server.connectString, { sessionTimeout: 4000, defaultWatcher: col.watcher });
      extra.push(c);
      expect(col.events[0]).toEqual({ type: EventType.None, state: KeeperState.SyncConnected, path: '' });
      const p = fresh();
      await c.exists(p, true);
      await zk.create(p);
      expect((await col.next(2))[1]).toMatchObject({ type: EventType.NodeCreated, path: p });
    });

    it('keeps persistent and recursive watches until removed', async () => {
      // The server keeps one watch mode per path and session, so the two kinds go on different paths.
      const root = fresh();
      const p = `${root}/node`;
      await zk.create(root);
      await zk.create(p);
      const persistent = collector();
      const recursive = collector();
      await zk.addWatch(p, AddWatchMode.PERSISTENT, persistent.watcher);
      await zk.addWatch(root, AddWatchMode.PERSISTENT_RECURSIVE, recursive.watcher);
      await zk.setData(p, '1');
      await zk.setData(p, '2');
      await zk.create(`${p}/a`);
      await zk.create(`${p}/a/b`);
      await persistent.next(3);
      expect(persistent.events.map((e) => e.type)).toEqual([EventType.NodeDataChanged, EventType.NodeDataChanged, EventType.NodeChildrenChanged]);
      const rec = await recursive.next(4);
      expect(rec.map((e) => `${e.type}${e.path}`)).toEqual([`3${p}`, `3${p}`, `1${p}/a`, `1${p}/a/b`]);
      await zk.checkWatches(p, WatcherType.Any, persistent.watcher);
      await zk.removeWatches(p, WatcherType.Any, persistent.watcher);
      expect(persistent.events.at(-1)).toMatchObject({ type: EventType.PersistentWatchRemoved, path: p });
      expect((await rejection(zk.checkWatches(p, WatcherType.Any, persistent.watcher))).code).toBe(ErrorCode.NOWATCHER);
      await zk.setData(p, '3');
      expect((await recursive.next(5))[4]).toMatchObject({ type: EventType.NodeDataChanged, path: p });
      expect(persistent.events).toHaveLength(4);
      await zk.removeWatches(root, WatcherType.Any);
      expect(recursive.events.at(-1)).toMatchObject({ type: EventType.PersistentWatchRemoved, path: root });
    });

    it('removes one-time watches and tells the watcher', async () => {
      const p = fresh();
      await zk.create(p);
      const col = collector();
      await zk.getData(p, col.watcher);
      await zk.getChildren(p, col.watcher);
      await zk.removeWatches(p, WatcherType.Children, col.watcher);
      expect(col.events).toEqual([{ type: EventType.ChildWatchRemoved, state: KeeperState.SyncConnected, path: p }]);
      expect((await rejection(zk.removeWatches(p, WatcherType.Children, col.watcher))).code).toBe(ErrorCode.NOWATCHER);
      await zk.create(`${p}/x`);
      await zk.setData(p, 'changed');
      expect((await col.next(2))[1]).toMatchObject({ type: EventType.NodeDataChanged });
    });

    it('applies a chroot to every path it sends and strips it from every path it receives', async () => {
      const root = fresh();
      await zk.create(root);
      const c = await another(root);
      expect(await c.create('/x', 'in')).toBe('/x');
      expect((await zk.getData(`${root}/x`)).data?.toString()).toBe('in');
      expect(await c.create('/s-', null, { mode: CreateMode.EPHEMERAL_SEQUENTIAL })).toBe('/s-0000000001');
      expect((await c.getChildren('/')).sort()).toEqual(['s-0000000001', 'x']);
      expect(await c.getEphemerals('/')).toEqual(['/s-0000000001']);
      expect(await c.sync('/x')).toBe('/x');
      const results = await c.multi([op.create('/m', null), op.create('/m/n', null, { mode: CreateMode.CONTAINER })]);
      expect(results.map((r) => ('path' in r ? r.path : null))).toEqual(['/m', '/m/n']);
      const col = collector();
      await c.getData('/x', col.watcher);
      await c.addWatch('/', AddWatchMode.PERSISTENT_RECURSIVE, col.watcher);
      await zk.setData(`${root}/x`, 'changed');
      expect(await col.next()).toEqual([{ type: EventType.NodeDataChanged, state: KeeperState.SyncConnected, path: '/x' }]);
    });

    it('rejects an unknown auth scheme with AUTHFAILED and stops', async () => {
      const c = await another();
      const states: string[] = [];
      c.on('state', (s) => states.push(s));
      expect((await rejection(c.addAuth('nosuchscheme', 'x'))).code).toBe(ErrorCode.AUTHFAILED);
      expect(c.state).toBe('authfailed');
      expect(states).toEqual(['authfailed']);
      expect((await rejection(c.exists('/'))).code).toBe(ErrorCode.AUTHFAILED);
    });

    it('refuses to resume a session that no longer exists', async () => {
      const c = await another();
      const { sessionId, sessionPassword } = c;
      await c.close();
      const events: WatchedEvent[] = [];
      const again = new ZkClient(server.connectString, { sessionTimeout: 4000, sessionId, sessionPassword, defaultWatcher: (e) => events.push(e) });
      const e = await rejection(again.connect());
      expect(e.code).toBe(ErrorCode.SESSIONEXPIRED);
      expect(again.state).toBe('expired');
      expect(events).toEqual([{ type: EventType.None, state: KeeperState.Expired, path: '' }]);
    });
  });
}
