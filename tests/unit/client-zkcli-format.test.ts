import { describe, expect, it } from 'vitest';
import { EventType, KeeperState, Perms } from '../../ensemble/jute/constants.ts';
import { formatAcl, formatEvent, formatStat, javaDate, javaHex, permString } from '../../ensemble/cli/zkcli/format.ts';
import { parseOptions, splitCommandLine } from '../../ensemble/cli/zkcli/parse.ts';
import { cliMessage, parseAcl, usageLines } from '../../ensemble/cli/zkcli/commands.ts';
import { ErrorCode, ZkError } from '../../ensemble/client/index.ts';

describe('zkcli formats (ZooKeeper 3.8 zkCli.sh)', () => {
  it('prints dates like java.util.Date#toString in UTC', () => {
    process.env.TZ = 'UTC';
    expect(javaDate(Date.UTC(2026, 10, 25, 8, 0, 0))).toBe('Wed Nov 25 08:00:00 UTC 2026');
    expect(javaDate(BigInt(Date.UTC(2024, 1, 3, 23, 4, 5)))).toBe('Sat Feb 03 23:04:05 UTC 2024');
  });

  it('prints longs as Long.toHexString', () => {
    expect(javaHex(0n)).toBe('0x0');
    expect(javaHex(0x100000c6cd50000n)).toBe('0x100000c6cd50000');
    expect(javaHex(-1n)).toBe('0xffffffffffffffff');
  });

  it('prints the stat block in StatPrinter order', () => {
    const lines = formatStat({
      czxid: 2n, mzxid: 3n, ctime: 0n, mtime: 0n, version: 4, cversion: 5, aversion: 6,
      ephemeralOwner: 0n, dataLength: 7, numChildren: 8, pzxid: 9n,
    });
    expect(lines.map((l) => l.split(' = ')[0])).toEqual([
      'cZxid', 'ctime', 'mZxid', 'mtime', 'pZxid', 'cversion', 'dataVersion', 'aclVersion', 'ephemeralOwner', 'dataLength', 'numChildren',
    ]);
    expect(lines[4]).toBe('pZxid = 0x9');
    expect(lines[6]).toBe('dataVersion = 4');
  });

  it('prints permissions and ids as getAcl does', () => {
    expect(permString(Perms.ALL)).toBe('cdrwa');
    expect(permString(Perms.READ | Perms.ADMIN)).toBe('ra');
    expect(formatAcl({ perms: Perms.ALL, id: { scheme: 'world', id: 'anyone' } })).toEqual(["'world,'anyone", ': cdrwa']);
    expect(formatAcl({ perms: Perms.READ, id: { scheme: 'x', id: 'a,b%' } })[0]).toBe("'x,'a%2Cb%25");
  });

  it('prints events as WatchedEvent#toString', () => {
    expect(formatEvent({ type: EventType.None, state: KeeperState.SyncConnected, path: '' })).toBe('WatchedEvent state:SyncConnected type:None path:null');
    expect(formatEvent({ type: EventType.NodeDataChanged, state: KeeperState.SyncConnected, path: '/w' })).toBe(
      'WatchedEvent state:SyncConnected type:NodeDataChanged path:/w',
    );
  });
});

describe('zkcli parsing', () => {
  it('splits a line like ZooKeeperMain, keeping quoted spaces', () => {
    expect(splitCommandLine('create /a "hello world"  x')).toEqual(['create', '/a', 'hello world', 'x']);
    expect(splitCommandLine("set /a 'it''s'")).toEqual(['set', '/a', 'it', 's']);
    expect(splitCommandLine('create /a ""')).toEqual(['create', '/a', '']);
  });

  it('parses options anywhere and rejects unknown ones', () => {
    expect(parseOptions(['set', '/a', '-v', '3', 'data'], { v: true, s: false })).toEqual({ args: ['set', '/a', 'data'], options: new Map([['v', '3']]) });
    expect(() => parseOptions(['ls', '-x', '/'], { s: false })).toThrow('Unrecognized option: -x');
  });

  it('parses ACLs like AclParser, reporting bad entries', () => {
    const errors: string[] = [];
    const acl = parseAcl('world:anyone:cdrwa,digest:u:hash:rq,broken', (l) => errors.push(l));
    expect(acl).toEqual([
      { perms: Perms.ALL, id: { scheme: 'world', id: 'anyone' } },
      { perms: Perms.READ, id: { scheme: 'digest', id: 'u:hash' } },
    ]);
    expect(errors).toEqual(['Unknown perm type: q', 'broken does not have the form scheme:id:perm']);
  });

  it('maps KeeperExceptions to CliWrapperException messages', () => {
    expect(cliMessage(new ZkError(ErrorCode.NONODE, '/x'))).toBe('Node does not exist: /x');
    expect(cliMessage(new ZkError(ErrorCode.NOAUTH, '/x'))).toBe('Insufficient permission : /x');
    expect(cliMessage(new ZkError(ErrorCode.NOWATCHER, '/x'))).toBe('KeeperErrorCode = No such watcher for /x');
  });

  it('lists commands sorted as Java sorts strings', () => {
    const lines = usageLines();
    expect(lines[1]).toMatch(/^\taddWatch /);
    expect(lines[2]).toBe('\taddauth scheme auth');
    expect(lines.at(-1)).toBe('\twhoami ');
  });
});
