import { describe, expect, it } from 'vitest';
import { WatchManager } from '../../ensemble/tree/watches.ts';
import { DataTree } from '../../ensemble/tree/data-tree.ts';
import { digestId, OPEN_ACL_UNSAFE } from '../../ensemble/tree/acl.ts';
import type { TreeChange, TxnOp } from '../../ensemble/tree/api.ts';
import { EventType as T, WatcherType } from '../../ensemble/jute/constants.ts';
import type { ACL, Id } from '../../ensemble/jute/records.ts';

const fmt = (ns: { sessionId: bigint; event: { type: number; state: number; path: string } }[]) =>
  ns.map((n) => `${n.sessionId} ${n.event.type} ${n.event.path}`);
const created = (path: string): TreeChange => ({ type: 'created', path });
const deleted = (path: string): TreeChange => ({ type: 'deleted', path });
const changed = (path: string): TreeChange => ({ type: 'dataChanged', path });

describe('one-time watches', () => {
  it('data watch: NodeCreated / NodeDataChanged / NodeDeleted, consumed when fired, state SyncConnected', () => {
    const w = new WatchManager();
    w.add(1n, '/a', 'data');
    const first = w.trigger(changed('/a'));
    expect(first).toEqual([{ sessionId: 1n, event: { type: T.NodeDataChanged, state: 3, path: '/a' } }]);
    expect(w.trigger(changed('/a'))).toEqual([]);
    w.add(1n, '/a', 'data');
    expect(fmt(w.trigger(deleted('/a')))).toEqual([`1 ${T.NodeDeleted} /a`]);
    w.add(1n, '/a', 'data'); // an exists watch on a missing node
    expect(fmt(w.trigger(created('/a')))).toEqual([`1 ${T.NodeCreated} /a`]);
    expect(w.count()).toBe(0);
  });

  it('child watch: NodeChildrenChanged on create/delete of a child, NodeDeleted on its own delete', () => {
    const w = new WatchManager();
    w.add(1n, '/p', 'child');
    expect(w.trigger(changed('/p'))).toEqual([]); // data changes do not fire child watches
    expect(fmt(w.trigger(created('/p/x')))).toEqual([`1 ${T.NodeChildrenChanged} /p`]);
    expect(w.trigger(created('/p/y'))).toEqual([]);
    w.add(1n, '/p', 'child');
    expect(fmt(w.trigger(deleted('/p/y')))).toEqual([`1 ${T.NodeChildrenChanged} /p`]);
    w.add(1n, '/p', 'child');
    expect(fmt(w.trigger(deleted('/p')))).toEqual([`1 ${T.NodeDeleted} /p`]);
    w.add(2n, '/', 'child');
    expect(fmt(w.trigger(created('/top')))).toEqual([`2 ${T.NodeChildrenChanged} /`]);
  });

  it('one NodeDeleted per session even with data, exists and child watches (as real ZooKeeper)', () => {
    const w = new WatchManager();
    w.add(1n, '/w/x', 'data');
    w.add(1n, '/w/x', 'data');
    w.add(1n, '/w/x', 'child');
    w.add(1n, '/w', 'child');
    w.add(2n, '/w/x', 'child');
    expect(w.count()).toBe(4);
    expect(fmt(w.trigger(deleted('/w/x')))).toEqual([`1 ${T.NodeDeleted} /w/x`, `2 ${T.NodeDeleted} /w/x`, `1 ${T.NodeChildrenChanged} /w`]);
    expect(w.count()).toBe(0);
    expect(w.byPath().size).toBe(0);
    expect(w.bySession().size).toBe(0);
  });

  it('a created node consumes the data watch but not a child watch on it', () => {
    const w = new WatchManager();
    w.add(1n, '/a', 'data');
    w.add(1n, '/a', 'child');
    w.trigger(created('/a'));
    expect(w.has(1n, '/a', WatcherType.Data)).toBe(false);
    expect(w.has(1n, '/a', WatcherType.Children)).toBe(true);
  });
});

describe('persistent watches', () => {
  it('fire for every event on the path and its children list, and stay', () => {
    const w = new WatchManager();
    w.add(1n, '/w', 'persistent');
    const all = [
      ...w.trigger(created('/w')),
      ...w.trigger(changed('/w')),
      ...w.trigger(created('/w/c')),
      ...w.trigger(changed('/w/c')), // not its path: nothing
      ...w.trigger(deleted('/w/c')),
      ...w.trigger(deleted('/w')),
      ...w.trigger(created('/w')),
    ];
    expect(fmt(all)).toEqual([
      `1 ${T.NodeCreated} /w`,
      `1 ${T.NodeDataChanged} /w`,
      `1 ${T.NodeChildrenChanged} /w`,
      `1 ${T.NodeChildrenChanged} /w`,
      `1 ${T.NodeDeleted} /w`,
      `1 ${T.NodeCreated} /w`,
    ]);
    expect(w.count()).toBe(2); // counted in ZooKeeper's data and child tables
  });

  it('coexist with a one-time watch on the same path: one event, the one-time part consumed', () => {
    const w = new WatchManager();
    w.add(1n, '/w', 'persistent');
    w.add(1n, '/w', 'data');
    expect(w.trigger(changed('/w'))).toHaveLength(1);
    expect(w.trigger(changed('/w'))).toHaveLength(1);
    expect(w.has(1n, '/w', WatcherType.Data)).toBe(true);
  });
});

describe('persistent recursive watches', () => {
  it('fire for the path and every descendant but never NodeChildrenChanged (as real ZooKeeper)', () => {
    const w = new WatchManager();
    w.add(1n, '/w', 'persistentRecursive');
    const all = [
      ...w.trigger(created('/w/k')),
      ...w.trigger(deleted('/w/k')),
      ...w.trigger(created('/w/y/z')),
      ...w.trigger(changed('/w/y/z')),
      ...w.trigger(changed('/w')),
      ...w.trigger({ type: 'childrenChanged', path: '/w' }),
      ...w.trigger(changed('/other')),
      ...w.trigger(changed('/wx')),
    ];
    expect(fmt(all)).toEqual([
      `1 ${T.NodeCreated} /w/k`,
      `1 ${T.NodeDeleted} /w/k`,
      `1 ${T.NodeCreated} /w/y/z`,
      `1 ${T.NodeDataChanged} /w/y/z`,
      `1 ${T.NodeDataChanged} /w`,
    ]);
  });

  it('dedupes a session watching at several levels; recursive on / sees everything', () => {
    const w = new WatchManager();
    w.add(1n, '/', 'persistentRecursive');
    w.add(1n, '/a', 'persistentRecursive');
    w.add(1n, '/a/b', 'data');
    w.add(2n, '/', 'persistentRecursive');
    expect(fmt(w.trigger(changed('/a/b')))).toEqual([`1 ${T.NodeDataChanged} /a/b`, `2 ${T.NodeDataChanged} /a/b`]);
    expect(fmt(w.trigger(changed('/a/b')))).toEqual([`1 ${T.NodeDataChanged} /a/b`, `2 ${T.NodeDataChanged} /a/b`]);
  });

  it('mayRead filters persistent and recursive events but not one-time ones', () => {
    const w = new WatchManager();
    w.add(1n, '/', 'persistentRecursive');
    w.add(2n, '/s', 'persistent');
    w.add(3n, '/s', 'data');
    const mayRead = (sessionId: bigint, path: string) => !(path === '/s' && sessionId !== 4n);
    expect(fmt(w.trigger(created('/s'), mayRead))).toEqual([`3 ${T.NodeCreated} /s`]);
    expect(fmt(w.trigger(created('/t'), mayRead))).toEqual([`1 ${T.NodeCreated} /t`]);
  });
});

describe('bookkeeping', () => {
  it('remove / has by WatcherType, removeSession, byPath, bySession', () => {
    const w = new WatchManager();
    w.add(1n, '/a', 'data');
    w.add(1n, '/a', 'child');
    w.add(1n, '/b', 'persistentRecursive');
    w.add(2n, '/a', 'persistent');
    expect(w.count()).toBe(5);
    expect(w.has(1n, '/a', WatcherType.Children)).toBe(true);
    expect(w.has(1n, '/b', WatcherType.Children)).toBe(false);
    expect(w.has(1n, '/b', WatcherType.Data)).toBe(true);
    expect(w.has(2n, '/a', WatcherType.Children)).toBe(true);
    expect(w.has(3n, '/a', WatcherType.Any)).toBe(false);
    expect(w.byPath()).toEqual(new Map([['/a', [1n, 2n]], ['/b', [1n]]]));
    expect(w.bySession()).toEqual(new Map([[1n, ['/a', '/b']], [2n, ['/a']]]));
    expect(w.remove(1n, '/a', WatcherType.Children)).toBe(true);
    expect(w.remove(1n, '/a', WatcherType.Children)).toBe(false);
    expect(w.has(1n, '/a', WatcherType.Data)).toBe(true);
    expect(w.remove(1n, '/b', WatcherType.Data)).toBe(true);
    expect(w.trigger(changed('/b/x'))).toEqual([]);
    w.removeSession(1n);
    expect(w.bySession()).toEqual(new Map([[2n, ['/a']]]));
    expect(w.count()).toBe(2);
    expect(w.remove(2n, '/a', WatcherType.Any)).toBe(true);
    expect(w.count()).toBe(0);
    expect(w.byPath().size).toBe(0);
  });

  it('stays fast with thousands of sessions on one path', () => {
    const w = new WatchManager();
    const start = performance.now();
    for (let round = 0; round < 20; round++) {
      for (let s = 0n; s < 2000n; s++) w.add(s, '/hot', 'data');
      expect(w.trigger(changed('/hot'))).toHaveLength(2000);
    }
    for (let s = 0n; s < 2000n; s++) w.add(s, '/hot', 'persistent');
    for (let i = 0; i < 20; i++) expect(w.trigger(changed('/hot/child-not-watched'))).toHaveLength(0);
    expect(performance.now() - start).toBeLessThan(3000);
  });
});

describe('with the data tree', () => {
  it('delivers what a txn changed, checking READ on deleted nodes with their old ACL', () => {
    const tree = new DataTree();
    const w = new WatchManager();
    const bob: Id = { scheme: 'digest', id: digestId('bob', 'pw') };
    const auth = new Map<bigint, Id[]>([[1n, []], [2n, [bob]]]);
    let zxid = 0n;
    const apply = (op: TxnOp, who: Id[] = []) => {
      const r = tree.apply({ hdr: { sessionId: 1n, cxid: 0, zxid: ++zxid, time: 1n }, auth: who, op });
      const mayRead = (s: bigint, p: string) => tree.mayRead(p, auth.get(s) ?? []);
      return r.changes.flatMap((c) => fmt(w.trigger(c, mayRead)));
    };
    const secret: ACL[] = [{ perms: 31, id: bob }];
    w.add(1n, '/', 'persistentRecursive');
    w.add(2n, '/', 'persistentRecursive');
    w.add(1n, '/', 'child');
    const create = (path: string, acl: ACL[]) => ({ type: 'create' as const, opcode: 1 as const, path, data: null, acl, flags: 0, ttl: -1n });
    expect(apply(create('/s', secret), [bob])).toEqual([`2 ${T.NodeCreated} /s`, `1 ${T.NodeChildrenChanged} /`]);
    expect(apply(create('/o', OPEN_ACL_UNSAFE as ACL[]))).toEqual([`1 ${T.NodeCreated} /o`, `2 ${T.NodeCreated} /o`]);
    expect(apply({ type: 'delete', path: '/s', version: -1 }, [bob])).toEqual([`2 ${T.NodeDeleted} /s`]);
  });
});
