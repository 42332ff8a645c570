// The server/configs test suite, run against our server, our three-node ensemble (through a follower, so every
// write is forwarded and CAS must still hold) and Apache ZooKeeper 3.8: ZK_CONNECT may name any of them.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, isZkError, ZkClient } from '../../ensemble/client/index.ts';
import { openDatabase, type Db } from '../../server/db.ts';
import {
  ConfigService,
  ConflictError,
  identityAuth,
  InvalidNameError,
  InvalidPropertiesError,
  NotEmptyError,
  NotFoundError,
  TooLargeError,
  type WriteContext,
  type ZkIdentity,
} from '../../server/configs/index.ts';
import { apacheZkUnavailable, startApacheZk, type RunningServer } from '../helpers/apache-zk.ts';
import { startEnsembleAsServer } from '../helpers/ensemble.ts';
import { startOurServer } from '../helpers/our-server.ts';

const alice: WriteContext = { actor: { name: 'alice', type: 'user' }, source: 'ui' };
const bob: WriteContext = { actor: { name: 'bob', type: 'token' }, source: 'api' };

async function zkErrorCode(p: Promise<unknown>): Promise<number | string> {
  try {
    await p;
    return 'no error';
  } catch (error) {
    return isZkError(error) ? error.code : String(error);
  }
}

function configServiceSuite(label: string, start: () => Promise<RunningServer>): void {
  describe(`server/configs against ${label}`, () => {
    let server: RunningServer;
    let dir: string;
    let db: Db;
    let zk: ZkClient;
    let service: ConfigService;
    const identity: ZkIdentity = { user: 'config-center', password: randomBytes(18).toString('base64url') };

    beforeAll(async () => {
      server = await start();
      dir = mkdtempSync(join(tmpdir(), 'configs-suite-'));
      db = await openDatabase(`file:${join(dir, 'audit.db')}`);
      zk = await ZkClient.connect(server.connectString, { sessionTimeout: 10_000, auth: identityAuth(identity) });
      service = new ConfigService(zk, db, identity);
    });

    afterAll(async () => {
      await zk?.close();
      await db?.$disconnect();
      await server?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('creates a namespace and a file, loads it back byte for byte and lists it', async () => {
      await service.createNamespace('shop', { description: 'the shop' }, 'alice');
      const text = '# database\ndb.url = jdbc:h2:mem\ndb.user=sa\n';
      const created = await service.createFile('shop', 'db.properties', text, alice);
      expect(created.version).toBe(0);
      const loaded = await service.loadFile('shop', 'db.properties');
      expect(loaded.text).toBe(text);
      expect(loaded.version).toBe(0);
      expect(loaded.modifiedBy).toBe('alice');
      const files = await service.listFiles('shop');
      expect(files.map((f) => [f.name, f.version, f.size, f.modifiedBy])).toEqual([['db.properties', 0, Buffer.byteLength(text), 'alice']]);
      const namespaces = await service.listNamespaces();
      const shop = namespaces.find((n) => n.name === 'shop');
      expect(shop?.description).toBe('the shop');
      expect(shop?.fileCount).toBe(1);
      expect(shop?.lastChange?.actor).toBe('alice');
    });

    it('confirms each write in the audit history with the znode zxid', async () => {
      const stat = await zk.exists('/configs/shop/db.properties');
      const history = await service.audit.query({ path: '/configs/shop/db.properties' });
      expect(history.events).toHaveLength(1);
      expect(history.events[0]).toMatchObject({ action: 'create', actor: 'alice', source: 'ui', version: 0, status: 'confirmed' });
      expect(BigInt(history.events[0]!.zxid!)).toBe(stat!.mzxid);
    });

    it('refuses to create a file that exists, naming its version and author', async () => {
      const error = await service.createFile('shop', 'db.properties', 'a=1\n', bob).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect((error as ConflictError).currentVersion).toBe(0);
      expect((error as ConflictError).modifiedBy).toBe('alice');
      const failed = await service.audit.query({ path: '/configs/shop/db.properties', status: 'failed' });
      expect(failed.events.map((e) => e.actor)).toContain('bob');
    });

    it('replaces with compare-and-set and reports a stale version as a conflict', async () => {
      const first = await service.replaceFile('shop', 'db.properties', 'db.url=jdbc:pg\n', 0, bob);
      expect(first.version).toBe(1);
      const stale = await service.replaceFile('shop', 'db.properties', 'db.url=lost\n', 0, alice).catch((e: unknown) => e);
      expect(stale).toBeInstanceOf(ConflictError);
      expect((stale as ConflictError).currentVersion).toBe(1);
      expect((stale as ConflictError).modifiedBy).toBe('bob');
      expect((await service.loadFile('shop', 'db.properties')).text).toBe('db.url=jdbc:pg\n');
    });

    it('lets exactly one of two concurrent writers at the same version win', async () => {
      const results = await Promise.allSettled([
        service.replaceFile('shop', 'db.properties', 'writer=alice\n', 1, alice),
        service.replaceFile('shop', 'db.properties', 'writer=bob\n', 1, bob),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.reason).toBeInstanceOf(ConflictError);
      const file = await service.loadFile('shop', 'db.properties');
      expect(file.version).toBe(2);
      const winner = won[0]!.status === 'fulfilled' && results[0]!.status === 'fulfilled' ? 'alice' : 'bob';
      expect(file.text).toBe(`writer=${winner}\n`);
      expect(file.modifiedBy).toBe(winner);
    });

    it('patches keys in place, keeping comments and order', async () => {
      await service.createFile('shop', 'app.properties', '# app\nname=shop\nport=80\n# end\n', alice);
      const patched = await service.patchFile('shop', 'app.properties', { set: { port: '8080', mode: 'prod' }, remove: ['name'] }, 0, alice);
      expect(patched.version).toBe(1);
      expect((await service.loadFile('shop', 'app.properties')).text).toBe('# app\nport=8080\n# end\nmode=prod\n');
      const [event] = (await service.audit.query({ path: '/configs/shop/app.properties' }, { limit: 1 })).events;
      expect(event?.action).toBe('patch');
      expect(event?.diff).toEqual({
        added: [{ key: 'mode', newValue: 'prod' }],
        changed: [{ key: 'port', oldValue: '80', newValue: '8080' }],
        removed: [{ key: 'name', oldValue: 'shop' }],
      });
    });

    it('refuses a malformed properties file with its line, and an oversized one before sending it', async () => {
      const bad = await service.replaceFile('shop', 'app.properties', 'a=1\nb=\\u12\n', 1, alice).catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(InvalidPropertiesError);
      expect((bad as InvalidPropertiesError).line).toBe(2);
      const big = 'k=' + 'x'.repeat(1024 * 1024) + '\n';
      const tooLarge = await service.replaceFile('shop', 'app.properties', big, 1, alice).catch((e: unknown) => e);
      expect(tooLarge).toBeInstanceOf(TooLargeError);
      expect((await zk.exists('/configs/shop/app.properties'))?.version).toBe(1);
    });

    it('rolls back to an audited version as a new version', async () => {
      const result = await service.rollback('shop', 'app.properties', 0, 1, alice);
      expect(result.version).toBe(2);
      expect((await service.loadFile('shop', 'app.properties')).text).toBe('# app\nname=shop\nport=80\n# end\n');
      const missing = await service.rollback('shop', 'app.properties', 42, null, alice).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(NotFoundError);
    });

    it('deletes with compare-and-set and records the delete with its zxid', async () => {
      const stale = await service.deleteFile('shop', 'app.properties', 0, alice).catch((e: unknown) => e);
      expect(stale).toBeInstanceOf(ConflictError);
      const deleted = await service.deleteFile('shop', 'app.properties', 2, alice);
      expect(await zk.exists('/configs/shop/app.properties')).toBeNull();
      const parent = await zk.exists('/configs/shop');
      expect(BigInt(deleted.zxid)).toBe(parent!.pzxid);
      await expect(service.loadFile('shop', 'app.properties')).rejects.toBeInstanceOf(NotFoundError);
      const history = await service.audit.query({ path: '/configs/shop/app.properties' });
      expect(history.events.map((e) => e.action)).toEqual(['delete', 'rollback', 'patch', 'create']);
      const zxids = history.events.map((e) => e.zxid);
      expect(new Set(zxids).size).toBe(zxids.length);
    });

    it('rejects bad names and missing namespaces', async () => {
      await expect(service.createFile('shop', '../etc', 'a=1', alice)).rejects.toBeInstanceOf(InvalidNameError);
      await expect(service.createFile('shop', 'a..b', 'a=1', alice)).rejects.toBeInstanceOf(InvalidNameError);
      await expect(service.createNamespace('x/y', {}, 'alice')).rejects.toBeInstanceOf(InvalidNameError);
      await expect(service.createFile('nope', 'a.properties', 'a=1', alice)).rejects.toBeInstanceOf(NotFoundError);
      await expect(service.listFiles('nope')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('keeps configs away from clients without credentials; the namespace credential may only read', async () => {
      const issued = await service.rotateCredential('shop', 'alice');
      const anonymous = await ZkClient.connect(server.connectString, { sessionTimeout: 10_000 });
      const reader = await ZkClient.connect(server.connectString, {
        sessionTimeout: 10_000,
        auth: [{ scheme: 'digest', auth: `${issued.user}:${issued.password}` }],
      });
      try {
        expect(await zkErrorCode(anonymous.getData('/configs/shop/db.properties'))).toBe(ErrorCode.NOAUTH);
        expect(await zkErrorCode(anonymous.setData('/configs/shop/db.properties', 'evil=1', -1))).toBe(ErrorCode.NOAUTH);
        expect(await zkErrorCode(anonymous.create('/configs/shop/evil.properties', 'x=1'))).toBe(ErrorCode.NOAUTH);
        expect(await zkErrorCode(anonymous.delete('/configs/shop/db.properties'))).toBe(ErrorCode.NOAUTH);
        const read = await reader.getData('/configs/shop/db.properties');
        expect(read.data?.toString()).toBe((await service.loadFile('shop', 'db.properties')).text);
        expect(await zkErrorCode(reader.setData('/configs/shop/db.properties', 'evil=1', -1))).toBe(ErrorCode.NOAUTH);
        // New files get the current credential too.
        await service.createFile('shop', 'new.properties', 'n=1\n', alice);
        expect((await reader.getData('/configs/shop/new.properties')).data?.toString()).toBe('n=1\n');
      } finally {
        await anonymous.close();
        await reader.close();
      }
    });

    it('deletes a namespace only when empty unless forced, auditing each file', async () => {
      await expect(service.deleteNamespace('shop', alice)).rejects.toBeInstanceOf(NotEmptyError);
      await service.deleteNamespace('shop', alice, { force: true });
      expect(await zk.exists('/configs/shop')).toBeNull();
      const deletes = await service.audit.query({ namespace: 'shop', action: 'delete' });
      expect(deletes.events.map((e) => e.file).sort()).toEqual(['app.properties', 'db.properties', 'new.properties']);
      await expect(service.getNamespace('shop')).rejects.toBeInstanceOf(NotFoundError);
    });
  });
}

configServiceSuite('our server', () => startOurServer());
configServiceSuite('our three-node ensemble', () => startEnsembleAsServer());
const apacheMissing = apacheZkUnavailable();
if (apacheMissing) console.log(`skipping server/configs against Apache ZooKeeper: ${apacheMissing}`);
describe.skipIf(apacheMissing !== null)('against Apache ZooKeeper 3.8', () => {
  configServiceSuite('Apache ZooKeeper 3.8', () => startApacheZk());
});
