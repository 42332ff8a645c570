// The recorder suite, run against our server and Apache ZooKeeper 3.8 (it relies on persistent recursive watches and
// digest ACLs: prove them on the real thing). Audit completeness: changes through the config service, through our client, zkCli.sh and kazoo while
// the recorder runs, and while it is stopped (a gap), all end up in the history exactly once.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZkClient } from '../../ensemble/client/index.ts';
import { openDatabase, type Db } from '../../server/db.ts';
import { ConfigService, identityAuth, type WriteContext, type ZkIdentity } from '../../server/configs/index.ts';
import { Recorder } from '../../server/recorder/index.ts';
import type { AuditEventView } from '../../server/audit/index.ts';
import { apacheZkUnavailable, KAZOO_PYTHON, kazooUnavailable, startApacheZk, zkCliUnavailable, type RunningServer } from '../helpers/apache-zk.ts';
import { REPO_ROOT, startOurServer } from '../helpers/our-server.ts';
import { InteractiveZkCli } from '../helpers/zkcli.ts';

const alice: WriteContext = { actor: { name: 'alice', type: 'user' }, source: 'ui' };

async function eventually<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function recorderSuite(label: string, start: () => Promise<RunningServer>): void {
describe(`audit recorder against ${label}`, () => {
  let server: RunningServer;
  let dir: string;
  let db: Db;
  let admin: ZkClient;
  let external: ZkClient;
  let service: ConfigService;
  let recorder: Recorder;
  const identity: ZkIdentity = { user: 'config-center', password: randomBytes(18).toString('base64url') };

  async function historyOf(file: string): Promise<AuditEventView[]> {
    const page = await service.audit.query({ path: `/configs/rec/${file}` }, { limit: 500 });
    return page.events.reverse(); // oldest first
  }

  async function settled(file: string, count: number): Promise<AuditEventView[]> {
    return eventually(async () => {
      const events = await historyOf(file);
      return events.length >= count ? events : null;
    });
  }

  beforeAll(async () => {
    server = await start();
    dir = mkdtempSync(join(tmpdir(), 'recorder-test-'));
    db = await openDatabase(`file:${join(dir, 'audit.db')}`);
    admin = await ZkClient.connect(server.connectString, { sessionTimeout: 10_000, auth: identityAuth(identity) });
    external = await ZkClient.connect(server.connectString, { sessionTimeout: 10_000, auth: identityAuth(identity) });
    service = new ConfigService(admin, db, identity);
    await service.createNamespace('rec', {}, 'alice');
    recorder = new Recorder({ connectString: server.connectString, identity, db, pendingGraceMs: 1_000 });
    await recorder.start();
  });

  afterAll(async () => {
    await recorder?.stop();
    await admin?.close();
    await external?.close();
    await db?.$disconnect();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('adds nothing to changes made through the config service', async () => {
    await service.createFile('rec', 'api.properties', 'a=1\n', alice);
    await service.replaceFile('rec', 'api.properties', 'a=2\n', 0, alice);
    await service.patchFile('rec', 'api.properties', { set: { b: '3' } }, 1, alice);
    await new Promise((r) => setTimeout(r, 600)); // several settle periods of the recorder
    await recorder.idle();
    const events = await historyOf('api.properties');
    expect(events.map((e) => [e.action, e.actor, e.source, e.version])).toEqual([
      ['create', 'alice', 'ui', 0],
      ['update', 'alice', 'ui', 1],
      ['patch', 'alice', 'ui', 2],
    ]);
    expect(recorder.stats.external).toBe(0);
  });

  it('records create, update and delete made with another client as external', async () => {
    await external.create('/configs/rec/ext.properties', 'x=1\n');
    await settled('ext.properties', 1);
    const stat = await external.setData('/configs/rec/ext.properties', 'x=2\ny=3\n', 0);
    const [create, update] = await settled('ext.properties', 2);
    expect(create).toMatchObject({ action: 'create', actor: 'external', source: 'external', version: 0, after: 'x=1\n' });
    expect(update).toMatchObject({ action: 'update', actor: 'external', source: 'external', version: 1, before: 'x=1\n', after: 'x=2\ny=3\n' });
    expect(BigInt(update!.zxid!)).toBe(stat.mzxid);
    expect(update!.diff).toEqual({ added: [{ key: 'y', newValue: '3' }], changed: [{ key: 'x', oldValue: '1', newValue: '2' }], removed: [] });
    await external.delete('/configs/rec/ext.properties', 1);
    const events = await settled('ext.properties', 3);
    expect(events[2]).toMatchObject({ action: 'delete', source: 'external', before: 'x=2\ny=3\n', after: null });
    expect(events).toHaveLength(3);
  });

  it('keeps one row per change when the admin and another client interleave', async () => {
    await service.createFile('rec', 'mixed.properties', 'v=0\n', alice);
    await external.setData('/configs/rec/mixed.properties', 'v=1\n', 0);
    await settled('mixed.properties', 2);
    await service.replaceFile('rec', 'mixed.properties', 'v=2\n', 1, alice);
    await external.setData('/configs/rec/mixed.properties', 'v=3\n', 2);
    const events = await settled('mixed.properties', 4);
    await new Promise((r) => setTimeout(r, 400));
    const final = await historyOf('mixed.properties');
    expect(final.map((e) => [e.version, e.source])).toEqual([
      [0, 'ui'],
      [1, 'external'],
      [2, 'ui'],
      [3, 'external'],
    ]);
    expect(events[3]?.before).toBe('v=2\n');
    expect(new Set(final.map((e) => e.zxid)).size).toBe(4);
  });

  it.skipIf(zkCliUnavailable() !== null)('records a change made with zkCli.sh', async () => {
    await service.createFile('rec', 'cli.properties', 'mode=a\n', alice);
    const cli = new InteractiveZkCli(server.connectString);
    try {
      await cli.waitFor(/SyncConnected/, 20_000);
      await cli.run(`addauth digest ${identity.user}:${identity.password}`);
      await cli.run('set /configs/rec/cli.properties mode=b');
    } finally {
      await cli.quit();
    }
    const events = await settled('cli.properties', 2);
    expect(events[1]).toMatchObject({ action: 'update', actor: 'external', source: 'external', version: 1, before: 'mode=a\n', after: 'mode=b' });
  }, 60_000);

  it.skipIf(kazooUnavailable() !== null)('records a change made with kazoo', async () => {
    await service.createFile('rec', 'kazoo.properties', 'lang=ts\n', alice);
    const script = [
      'import sys',
      'from kazoo.client import KazooClient',
      `zk = KazooClient(hosts=sys.argv[1], auth_data=[("digest", sys.argv[2])])`,
      'zk.start(timeout=15)',
      'zk.set("/configs/rec/kazoo.properties", b"lang=python\\n", version=0)',
      'zk.stop()',
    ].join('\n');
    const run = spawnSync(KAZOO_PYTHON, ['-c', script, server.connectString, `${identity.user}:${identity.password}`], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status, run.stderr).toBe(0);
    const events = await settled('kazoo.properties', 2);
    expect(events[1]).toMatchObject({ action: 'update', source: 'external', before: 'lang=ts\n', after: 'lang=python\n' });
  }, 60_000);

  it('records an honest gap for versions changed while it was stopped, and deletes it missed', async () => {
    await service.createFile('rec', 'gap.properties', 'n=0\n', alice);
    await service.createFile('rec', 'gone.properties', 'g=1\n', alice);
    await recorder.stop();
    for (let v = 0; v < 3; v++) await external.setData('/configs/rec/gap.properties', `n=${v + 1}\n`, v);
    await external.delete('/configs/rec/gone.properties', 0);
    await external.create('/configs/rec/born.properties', 'b=1\n');
    await external.setData('/configs/rec/born.properties', 'b=2\n', 0);
    recorder = new Recorder({ connectString: server.connectString, identity, db, pendingGraceMs: 1_000 });
    await recorder.start();
    await recorder.idle();
    const gap = await settled('gap.properties', 3);
    expect(gap.map((e) => [e.action, e.fromVersion, e.version])).toEqual([
      ['create', null, 0],
      ['gap', 1, 2],
      ['update', null, 3],
    ]);
    expect(gap[1]!.detail).toMatch(/versions 1\.\.2 changed outside the admin.*not observed/);
    expect(gap[2]).toMatchObject({ source: 'external', before: 'n=0\n', after: 'n=3\n' });
    const gone = await settled('gone.properties', 2);
    expect(gone[1]).toMatchObject({ action: 'delete', source: 'external', before: 'g=1\n' });
    const born = await settled('born.properties', 2);
    expect(born.map((e) => [e.action, e.fromVersion, e.version, e.after])).toEqual([
      ['gap', 0, 0, null],
      ['update', null, 1, 'b=2\n'],
    ]);
    // A second restart finds nothing new to record.
    await recorder.stop();
    recorder = new Recorder({ connectString: server.connectString, identity, db, pendingGraceMs: 1_000 });
    await recorder.start();
    await recorder.idle();
    expect(await historyOf('gap.properties')).toHaveLength(3);
    expect(await historyOf('gone.properties')).toHaveLength(2);
    expect(await historyOf('born.properties')).toHaveLength(2);
  });

  it('settles an admin intent left pending by a crash', async () => {
    await service.createFile('rec', 'crash.properties', 'c=0\n', alice);
    // The admin wrote its intent and the ensemble applied the write, but the confirmation never came.
    const intent = await service.audit.recordIntent({
      actor: alice.actor, source: 'ui', action: 'update', namespace: 'rec', file: 'crash.properties',
      path: '/configs/rec/crash.properties', before: 'c=0\n', after: 'c=1\n',
    });
    const stat = await admin.setData('/configs/rec/crash.properties', 'c=1\n', 0);
    const lost = await service.audit.recordIntent({
      actor: alice.actor, source: 'ui', action: 'update', namespace: 'rec', file: 'crash.properties',
      path: '/configs/rec/crash.properties', before: 'c=1\n', after: 'never written\n',
    });
    const confirmed = await eventually(async () => {
      const row = await service.audit.get(intent.id);
      return row?.status === 'confirmed' ? row : null;
    });
    expect(confirmed).toMatchObject({ actor: 'alice', source: 'ui', version: 1 });
    expect(BigInt(confirmed.zxid!)).toBe(stat.mzxid);
    expect((await service.audit.get(lost.id))?.status).toBe('failed');
    const events = await historyOf('crash.properties');
    expect(events.map((e) => [e.version, e.actor])).toEqual([
      [0, 'alice'],
      [1, 'alice'],
    ]);
  });

  it('runs as its own process (npm run recorder)', async () => {
    await recorder.stop();
    await external.setData('/configs/rec/api.properties', 'a=9\n', 2);
    const proc = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'server/recorder-cli.ts')], {
      cwd: REPO_ROOT,
      env: { ...process.env, ZK_CONNECT: server.connectString, DATABASE_URL: `file:${join(dir, 'audit.db')}`, ZK_AUTH: `${identity.user}:${identity.password}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
    try {
      const events = await eventually(async () => {
        const all = await historyOf('api.properties');
        return all.length >= 4 ? all : null;
      }, 30_000).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\n${output}`);
      });
      expect(events[3]).toMatchObject({ action: 'update', source: 'external', version: 3, after: 'a=9\n' });
      await external.setData('/configs/rec/api.properties', 'a=10\n', 3);
      const more = await eventually(async () => {
        const all = await historyOf('api.properties');
        return all.length >= 5 ? all : null;
      });
      expect(more[4]).toMatchObject({ version: 4, before: 'a=9\n', after: 'a=10\n' });
    } finally {
      proc.kill('SIGTERM');
      await new Promise((resolve) => proc.once('exit', resolve));
    }
    expect(output).toMatch(/recorder watching \/configs/);
  }, 60_000);
});
}

recorderSuite('our server', () => startOurServer());
const apacheMissing = apacheZkUnavailable();
if (apacheMissing) console.log(`skipping the recorder against Apache ZooKeeper: ${apacheMissing}`);
describe.skipIf(apacheMissing !== null)('against Apache ZooKeeper 3.8', () => {
  recorderSuite('Apache ZooKeeper 3.8', () => startApacheZk());
});
