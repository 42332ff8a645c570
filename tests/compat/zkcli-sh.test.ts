/**
 * Debian's real zkCli.sh against our server: the classic command sequence, asserted on its printed output.
 * The same suite runs against Apache ZooKeeper to prove the expectations are ZooKeeper's own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApacheZk, type RunningServer } from '../helpers/apache-zk.ts';
import { startOurServer } from '../helpers/our-server.ts';
import { apacheZkUnavailable, ourServerUnavailable, skipReason, zkCliUnavailable } from '../helpers/compat-env.ts';
import { InteractiveZkCli, runZkCli } from '../helpers/zkcli.ts';

const targets = [
  { name: 'Apache ZooKeeper', start: () => startApacheZk(), needs: [apacheZkUnavailable] },
  { name: 'our server', start: () => startOurServer(), needs: [ourServerUnavailable] },
];

/** `get -s` / `stat` print one `name = value` line per Stat field. */
function statFields(output: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of output.matchAll(/^(\w+) = (.*)$/gm)) fields[m[1]!] = m[2]!;
  return fields;
}

const STAT_NAMES = ['cZxid', 'ctime', 'mZxid', 'mtime', 'pZxid', 'cversion', 'dataVersion', 'aclVersion', 'ephemeralOwner', 'dataLength', 'numChildren'];
/** Java's Date.toString(), e.g. `Wed Nov 25 08:24:07 UTC 2026`. */
const JAVA_DATE = /^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} \S+ \d{4}$/;

for (const target of targets) {
  const skip = skipReason(`zkCli.sh against ${target.name}`, zkCliUnavailable, apacheZkUnavailable, ...target.needs);
  describe.skipIf(skip !== null)(`zkCli.sh against ${target.name}`, () => {
    let server: RunningServer;
    let cli: InteractiveZkCli;

    beforeAll(async () => {
      server = await target.start();
      cli = new InteractiveZkCli(server.connectString);
      await cli.waitFor(/WatchedEvent state:SyncConnected type:None path:null/, 30_000);
    });
    afterAll(async () => {
      await cli?.quit();
      await server?.stop();
    });

    it('creates persistent, sequential and ephemeral nodes', async () => {
      expect(await cli.run('create /test "123456"')).toContain('Created /test\n');
      expect(await cli.run('create -s /test/sn a')).toContain('Created /test/sn0000000000\n');
      expect(await cli.run('create -s /test/sn b')).toContain('Created /test/sn0000000001\n');
      expect(await cli.run('create -e /tmp tmp')).toContain('Created /tmp\n');
      expect(await cli.run('create /test again')).toContain('Node already exists: /test');
      expect(await cli.run('ls /test')).toContain('[sn0000000000, sn0000000001]');
    });

    it('get -s prints the data then the whole stat block', async () => {
      const out = await cli.run('get -s /test');
      expect(out.split('\n')[0]).toBe('123456');
      const stat = statFields(out);
      expect(Object.keys(stat)).toEqual(STAT_NAMES);
      expect(stat.cZxid).toMatch(/^0x[0-9a-f]+$/);
      expect(stat.mZxid).toBe(stat.cZxid);
      expect(BigInt(stat.pZxid!)).toBeGreaterThan(BigInt(stat.cZxid!));
      expect(stat.ctime).toMatch(JAVA_DATE);
      expect(stat.mtime).toBe(stat.ctime);
      expect(stat).toMatchObject({ cversion: '2', dataVersion: '0', aclVersion: '0', ephemeralOwner: '0x0', dataLength: '6', numChildren: '2' });
    });

    it('an ephemeral node is owned by the session', async () => {
      const stat = statFields(await cli.run('stat /tmp'));
      expect(stat.ephemeralOwner).toMatch(/^0x[0-9a-f]+$/);
      expect(stat.ephemeralOwner).not.toBe('0x0');
      expect(stat.numChildren).toBe('0');
    });

    it('set bumps the version; a stale version is refused', async () => {
      expect(await cli.run('set /test 7890')).not.toMatch(/\S/);
      const out = await cli.run('get -s /test');
      expect(out.split('\n')[0]).toBe('7890');
      const stat = statFields(out);
      expect(stat).toMatchObject({ dataVersion: '1', dataLength: '4' });
      expect(BigInt(stat.mZxid!)).toBeGreaterThan(BigInt(stat.cZxid!));
      expect(await cli.run('set -v 99 /test x')).toContain('version No is not valid : /test');
      expect((await cli.run('get /test')).split('\n')[0]).toBe('7890');
      expect(await cli.run('get /missing')).toContain('Node does not exist: /missing');
    });

    it('stat -w fires NodeDataChanged when another client sets the node', async () => {
      expect(await cli.run('create /watch w0')).toContain('Created /watch');
      expect(statFields(await cli.run('stat -w /watch')).dataVersion).toBe('0');
      const other = await runZkCli(server.connectString, ['set', '/watch', 'w1']);
      expect(other.code).toBe(0);
      const event = await cli.waitFor(/WatchedEvent state:SyncConnected type:NodeDataChanged path:\/watch\n/);
      expect(event).toContain('WATCHER::');
    });

    it('deleteall removes a subtree', async () => {
      expect(await cli.run('deleteall /test')).not.toMatch(/\S/);
      expect(await cli.run('ls /test')).toContain('Node does not exist: /test');
      expect(await cli.run('ls /')).toContain('[tmp, watch, zookeeper]');
    });

    it('closing the session removes its ephemeral node', async () => {
      await cli.quit();
      const after = await runZkCli(server.connectString, ['ls', '/']);
      expect(after.output).toContain('[watch, zookeeper]');
    });
  });
}
