import { describe, expect, it } from 'vitest';
import { EventType, WatcherType } from '../../ensemble/jute/constants.ts';
import { parseConnectString, shuffled } from '../../ensemble/client/connect-string.ts';
import { Chroot, pathProblem, validatePath } from '../../ensemble/client/paths.ts';
import { WatchRegistry, selfAndAncestors, type Watcher } from '../../ensemble/client/watches.ts';
import { ZkError, digestId, ErrorCode } from '../../ensemble/client/index.ts';

describe('path validation (PathUtils rules)', () => {
  it.each([
    ['/', null],
    ['/a/b', null],
    ['/a/.b', null],
    ['/a/b..c', null],
    ['', 'Path length must be > 0'],
    ['a', 'Path must start with / character'],
    ['/a/', 'Path must not end with / character'],
    ['/a//b', 'empty node name specified @3'],
    ['/a/./b', 'relative paths not allowed @3'],
    ['/a/..', 'relative paths not allowed @4'],
    ['/a\u0000', 'null character not allowed @2'],
    ['/a\u0001', 'invalid character @2'],
    ['/\ud800x', 'invalid character @1'],
    // ZooKeeper 3.8.0's PathUtils bytecode compares with >= at 0x7f, 0xd800 and 0xfff0: the bounds are inclusive.
    ['/a\u007f', 'invalid character @2'],
    ['/\ufff0', 'invalid character @1'],
    ['/\u00a0\u00e9', null],
  ])('%j → %s', (path, problem) => {
    expect(pathProblem(path)).toBe(problem);
  });

  it('lets a sequential create end with a slash and reports BADARGUMENTS otherwise', () => {
    expect(() => validatePath('/queue/', true)).not.toThrow();
    try {
      validatePath('/queue/');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ZkError);
      expect((e as ZkError).code).toBe(ErrorCode.BADARGUMENTS);
      expect((e as ZkError).message).toBe('Path must not end with / character');
    }
  });
});

describe('connect string', () => {
  it('parses hosts, default port and chroot', () => {
    expect(parseConnectString('a:1,b,[::1]:3/app/conf')).toEqual({
      hosts: [
        { host: 'a', port: 1 },
        { host: 'b', port: 2181 },
        { host: '::1', port: 3 },
      ],
      chroot: '/app/conf',
    });
    expect(parseConnectString('h:2/').chroot).toBe('');
  });

  it('rejects a bad chroot and a bad port', () => {
    expect(() => parseConnectString('h:1/bad/')).toThrow(ZkError);
    expect(() => parseConnectString('h:99999')).toThrow(/bad port/);
  });

  it('shuffles without losing hosts', () => {
    const items = [1, 2, 3, 4, 5];
    let seed = 7;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const out = shuffled(items, random);
    expect([...out].sort()).toEqual(items);
    expect(items).toEqual([1, 2, 3, 4, 5]);
  });

  it('maps chroot paths both ways', () => {
    const c = new Chroot('/app');
    expect(c.toServer('/')).toBe('/app');
    expect(c.toServer('/x')).toBe('/app/x');
    expect(c.toClient('/app')).toBe('/');
    expect(c.toClient('/app/x/y')).toBe('/x/y');
    expect(c.toClient('/apple')).toBe('/apple');
    expect(new Chroot('').toServer('/x')).toBe('/x');
  });
});

describe('watch registry (ZKWatchManager semantics)', () => {
  const w = (): Watcher => () => {};

  it('a data change consumes data and exist watches, leaving child watches', () => {
    const r = new WatchRegistry();
    const a = w();
    const b = w();
    const c = w();
    r.add('data', '/x', a);
    r.add('exist', '/x', b);
    r.add('child', '/x', c);
    expect(r.materialize(EventType.NodeDataChanged, '/x')).toEqual(new Set([a, b]));
    expect(r.materialize(EventType.NodeDataChanged, '/x').size).toBe(0);
    expect(r.paths().child).toEqual(['/x']);
  });

  it('one watcher registered in several tables fires once for a delete', () => {
    const r = new WatchRegistry();
    const a = w();
    r.add('data', '/x', a);
    r.add('child', '/x', a);
    const fired = r.materialize(EventType.NodeDeleted, '/x');
    expect([...fired]).toEqual([a]);
    expect(r.isEmpty).toBe(true);
  });

  it('persistent watches stay; recursive ones see descendants but not child-list changes', () => {
    const r = new WatchRegistry();
    const p = w();
    const rec = w();
    r.add('persistent', '/a', p);
    r.add('recursive', '/a', rec);
    expect(r.materialize(EventType.NodeChildrenChanged, '/a')).toEqual(new Set([p]));
    expect(r.materialize(EventType.NodeCreated, '/a/b/c')).toEqual(new Set([rec]));
    expect(r.materialize(EventType.NodeDataChanged, '/a')).toEqual(new Set([p, rec]));
    expect(r.paths().persistent).toEqual(['/a']);
  });

  it('removes by watcher type and reports the removal event types', () => {
    const r = new WatchRegistry();
    const a = w();
    const b = w();
    r.add('data', '/x', a);
    r.add('child', '/x', b);
    r.add('persistent', '/x', b);
    expect(r.contains('/x', WatcherType.Children, a)).toBe(false);
    expect(r.contains('/x', WatcherType.Data)).toBe(true);
    expect(r.othersRemain('/x', WatcherType.Any, a)).toBe(true);
    const removed = r.remove('/x', WatcherType.Any);
    expect(removed.get(EventType.DataWatchRemoved)).toEqual(new Set([a]));
    expect(removed.get(EventType.ChildWatchRemoved)).toEqual(new Set([b]));
    expect(removed.get(EventType.PersistentWatchRemoved)).toEqual(new Set([b]));
    expect(r.isEmpty).toBe(true);
  });

  it('walks a path and its ancestors', () => {
    expect([...selfAndAncestors('/a/b/c')]).toEqual(['/a/b/c', '/a/b', '/a', '/']);
    expect([...selfAndAncestors('/')]).toEqual(['/']);
  });
});

describe('digest ids', () => {
  it('match ZooKeeper DigestAuthenticationProvider.generateDigest', () => {
    // From `java -cp ... org.apache.zookeeper.server.auth.DigestAuthenticationProvider super:secret` (ZooKeeper 3.8).
    expect(digestId('super', 'secret')).toBe('super:' + 'lK75jTNcA+U9vtVEw5vB51mj/w4=');
  });
});
