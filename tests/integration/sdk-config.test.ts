/**
 * Config subscriptions against real server processes (ours and Apache ZooKeeper 3.8): bursts, missing files,
 * invalid text, digest auth, session expiry and the disk cache.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CreateMode, digestAcl, ErrorCode, isZkError, ZkClient } from '../../ensemble/client/index.ts';
import { createConfigClient, type ConfigChangeEvent, type ConfigClient, type ConfigFile } from '../../sdk/index.ts';
import { startApacheZk, type RunningServer } from '../helpers/apache-zk.ts';
import { apacheZkUnavailable, ourServerUnavailable, skipReason } from '../helpers/compat-env.ts';
import { startOurServer } from '../helpers/our-server.ts';
import { freePort } from '../helpers/ports.ts';
import { expireSession } from '../helpers/expire-session.ts';

const targets = [
  { name: 'our server', start: () => startOurServer({ tickTime: 500 }), needs: ourServerUnavailable },
  { name: 'Apache ZooKeeper', start: () => startApacheZk({ tickTime: 500 }), needs: apacheZkUnavailable },
];

let counter = 0;
const uniqueNamespace = (): string => `ns${process.pid}x${++counter}`;

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function mkdirp(zk: ZkClient, p: string): Promise<void> {
  let cur = '';
  for (const part of p.split('/').filter(Boolean)) {
    cur += `/${part}`;
    try {
      await zk.create(cur);
    } catch (e) {
      if (!isZkError(e, ErrorCode.NODEEXISTS)) throw e;
    }
  }
}

function recordChanges(file: ConfigFile): ConfigChangeEvent[] {
  const events: ConfigChangeEvent[] = [];
  file.on('change', (e) => events.push(e));
  return events;
}

for (const target of targets) {
  describe.skipIf(skipReason(`sdk config on ${target.name}`, target.needs))(`config subscription on ${target.name}`, () => {
    let server: RunningServer;
    let admin: ZkClient;
    const clients: ConfigClient[] = [];
    const open = async (namespace: string, extra: Partial<Parameters<typeof createConfigClient>[0]> = {}): Promise<ConfigClient> => {
      const c = await createConfigClient({ connectString: server.connectString, namespace, sessionTimeoutMs: 2000, ...extra });
      clients.push(c);
      return c;
    };

    beforeAll(async () => {
      server = await target.start();
      admin = await ZkClient.connect(server.connectString, { sessionTimeout: 5000 });
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
    });
    afterAll(async () => {
      await admin?.close();
      await server?.stop();
    });

    it('loads a file, types its values and reports key-level changes', async () => {
      const ns = uniqueNamespace();
      await mkdirp(admin, `/configs/${ns}`);
      await admin.create(`/configs/${ns}/db.properties`, 'url=jdbc:x\npool.max=20\nssl=true\nold=1\n');
      const client = await open(ns);
      const db = await client.file('db.properties').ready();
      expect(db.source).toBe('zookeeper');
      expect(db.exists).toBe(true);
      expect(db.version).toBe(0);
      expect(db.getString('url')).toBe('jdbc:x');
      expect(db.getNumber('pool.max', 10)).toBe(20);
      expect(db.getNumber('pool.min', 10)).toBe(10);
      expect(db.getBoolean('ssl', false)).toBe(true);
      expect(() => db.require('password')).toThrow(/password/);
      const events = recordChanges(db);
      await admin.setData(`/configs/${ns}/db.properties`, 'url=jdbc:y\npool.max=20\nssl=true\nnew=2\n');
      await until(() => events.length === 1, 'the change event');
      expect(events[0]!.version).toBe(1);
      expect(events[0]!.changes).toEqual([
        { key: 'new', oldValue: undefined, newValue: '2' },
        { key: 'url', oldValue: 'jdbc:x', newValue: 'jdbc:y' },
        { key: 'old', oldValue: '1', newValue: undefined },
      ]);
      expect(db.getString('url')).toBe('jdbc:y');
    });

    it('never goes back a version and ends on the latest under a burst of writes', async () => {
      const ns = uniqueNamespace();
      await mkdirp(admin, `/configs/${ns}`);
      await admin.create(`/configs/${ns}/app.properties`, 'n=0\n');
      const client = await open(ns);
      const file = await client.file('app.properties').ready();
      const events = recordChanges(file);
      const writes = 300;
      // Pipelined on one session, so they are applied in this order.
      await Promise.all(Array.from({ length: writes }, (_, i) => admin.setData(`/configs/${ns}/app.properties`, `n=${i + 1}\n`)));
      await until(() => file.version === writes, 'the last version');
      expect(file.getNumber('n')).toBe(writes);
      const versions = events.map((e) => e.version);
      for (let i = 1; i < versions.length; i++) expect(versions[i]!).toBeGreaterThan(versions[i - 1]!);
      expect(versions.at(-1)).toBe(writes);
      // Each event's values are those of its version: n equals the version.
      for (const e of events) expect(e.changes.find((c) => c.key === 'n')?.newValue).toBe(String(e.version));
    });

    it('resolves a missing file empty, then reports its creation and deletion as changes', async () => {
      const ns = uniqueNamespace();
      const client = await open(ns);
      const file = await client.file('late.properties').ready();
      expect(file.exists).toBe(false);
      expect(file.version).toBe(-1);
      expect(file.keys()).toEqual([]);
      expect(file.source).toBe('zookeeper');
      const events = recordChanges(file);
      await mkdirp(admin, `/configs/${ns}`);
      await admin.create(`/configs/${ns}/late.properties`, 'a=1\n');
      await until(() => events.length === 1, 'the creation');
      expect(events[0]).toMatchObject({ exists: true, version: 0, changes: [{ key: 'a', oldValue: undefined, newValue: '1' }] });
      expect(file.getString('a')).toBe('1');
      await admin.delete(`/configs/${ns}/late.properties`);
      await until(() => events.length === 2, 'the deletion');
      expect(events[1]).toMatchObject({ exists: false, version: -1, changes: [{ key: 'a', oldValue: '1', newValue: undefined }] });
      expect(file.exists).toBe(false);
    });

    it('reports invalid text with its line and keeps the last good values', async () => {
      const ns = uniqueNamespace();
      await mkdirp(admin, `/configs/${ns}`);
      const p = `/configs/${ns}/bad.properties`;
      await admin.create(p, 'a=1\n');
      const client = await open(ns);
      const file = await client.file('bad.properties').ready();
      const errors: Error[] = [];
      file.on('error', (e) => errors.push(e));
      const events = recordChanges(file);
      await admin.setData(p, 'a=2\n# fine\nb=\\u12G4\n');
      await until(() => errors.length === 1, 'the parse error');
      expect(errors[0]).toMatchObject({ name: 'ConfigParseError', line: 3, version: 1 });
      expect(file.getString('a')).toBe('1');
      expect(file.version).toBe(0);
      expect(events).toEqual([]);
      await admin.setData(p, 'a=3\n');
      await until(() => events.length === 1, 'the next good version');
      expect(file.getString('a')).toBe('3');
      expect(file.version).toBe(2);
    });

    it('reads files protected by a digest ACL with the given credentials', async () => {
      const ns = uniqueNamespace();
      await mkdirp(admin, `/configs/${ns}`);
      await admin.create(`/configs/${ns}/secret.properties`, 'password=s3cret\n', { acl: [digestAcl('app', 'pw')] });
      const allowed = await open(ns, { auth: { user: 'app', password: 'pw' } });
      expect((await allowed.file('secret.properties').ready()).require('password')).toBe('s3cret');
      const denied = await open(ns, { auth: { user: 'app', password: 'wrong' } });
      denied.on('error', () => {});
      await expect(denied.file('secret.properties').ready()).rejects.toMatchObject({ code: ErrorCode.NOAUTH });
    });

    it('recovers from session expiry with a new session and keeps receiving changes', async () => {
      const ns = uniqueNamespace();
      await mkdirp(admin, `/configs/${ns}`);
      const p = `/configs/${ns}/live.properties`;
      await admin.create(p, 'v=0\n');
      const client = await open(ns);
      const states: string[] = [];
      client.on('state', (s) => states.push(s));
      const file = await client.file('live.properties').ready();
      const oldZk = client.zk!;
      const oldSession = oldZk.sessionId;
      // Close the session from a twin connection: the server ends it and the subscriber finds it expired.
      await admin.setData(p, 'v=1\n');
      await expireSession(server.connectString, oldZk);
      await until(() => states.includes('expired') && client.state === 'connected', 'a new session');
      expect(client.zk!.sessionId).not.toBe(oldSession);
      await until(() => file.version === 1, 'the re-read after expiry');
      await admin.setData(p, 'v=2\n');
      await until(() => file.version === 2, 'a change on the new session');
      expect(file.getNumber('v')).toBe(2);
    });
  });
}

describe.skipIf(skipReason('sdk disk cache', ourServerUnavailable))('disk cache', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sdk-cache-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('serves the cache while the ensemble is down at start-up, then switches to live data', async () => {
    const cacheDir = tempDir();
    const serverDir = tempDir();
    const port = await freePort();
    let server = await startOurServer({ tickTime: 500, dir: serverDir, port });
    const admin = await ZkClient.connect(server.connectString, { sessionTimeout: 4000 });
    await mkdirp(admin, '/configs/cached');
    await admin.create('/configs/cached/app.properties', 'mode=first\n');
    const first = await createConfigClient({ connectString: server.connectString, namespace: 'cached', cacheDir });
    expect((await first.file('app.properties').ready()).getString('mode')).toBe('first');
    await first.close();
    const cacheFile = path.join(cacheDir, 'cached', 'app.properties.json');
    expect(JSON.parse(fs.readFileSync(cacheFile, 'utf8'))).toMatchObject({ exists: true, version: 0, text: 'mode=first\n' });
    // No temp files left behind by the atomic write.
    expect(fs.readdirSync(path.dirname(cacheFile))).toEqual(['app.properties.json']);
    await admin.close();
    await server.stop({ keepDir: true });

    const started = Date.now();
    const client = await createConfigClient({ connectString: server.connectString, namespace: 'cached', cacheDir, startupTimeoutMs: 700, sessionTimeoutMs: 2000 });
    try {
      const file = await client.file('app.properties').ready();
      expect(Date.now() - started).toBeGreaterThanOrEqual(650);
      expect(file.source).toBe('cache');
      expect(file.getString('mode')).toBe('first');
      const events = recordChanges(file);

      server = await startOurServer({ tickTime: 500, dir: serverDir, port });
      await until(() => file.source === 'zookeeper', 'live data', 30_000);
      expect(events).toEqual([]); // same version as the cache: nothing changed
      const admin2 = await ZkClient.connect(server.connectString, { sessionTimeout: 4000 });
      await admin2.setData('/configs/cached/app.properties', 'mode=second\n');
      await until(() => events.length === 1, 'the live change');
      expect(events[0]!.changes).toEqual([{ key: 'mode', oldValue: 'first', newValue: 'second' }]);
      await until(() => JSON.parse(fs.readFileSync(cacheFile, 'utf8')).version === 1, 'the cache to hold version 1');
      await admin2.close();
    } finally {
      await client.close();
      await server.stop();
    }
  });

  it('rejects ready() when the ensemble is unreachable and there is no cache', async () => {
    const port = await freePort();
    const client = await createConfigClient({ connectString: `127.0.0.1:${port}`, namespace: 'none', cacheDir: tempDir(), startupTimeoutMs: 300 });
    try {
      await expect(client.file('x.properties').ready()).rejects.toMatchObject({ name: 'ConfigUnavailableError' });
    } finally {
      await client.close();
    }
  });
});
