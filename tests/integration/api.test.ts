// The HTTP API against a real `next build` + `next start`, a real ensemble node and a real SQLite file.
// The build is cached in .next-test/<hash of the sources>, so only the first run after a change pays
// for it. One file holds every HTTP test so one server serves them all.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZkClient } from '../../ensemble/client/index.ts';
import { openDatabase, type Db } from '../../server/db.ts';
import { createApiToken, createUser, setGrants } from '../../server/auth/index.ts';
import { identityAuth, type ZkIdentity } from '../../server/configs/index.ts';
import { Recorder } from '../../server/recorder/index.ts';
import type { RunningServer } from '../helpers/apache-zk.ts';
import { REPO_ROOT, startOurServer } from '../helpers/our-server.ts';
import { freePort, waitForPort } from '../helpers/ports.ts';

const SOURCES = ['app', 'server', 'ensemble/client', 'ensemble/jute', 'prisma', 'next.config.mjs', 'instrumentation.ts', 'package-lock.json', 'tsconfig.next.json'];

function sourceHash(): string {
  const hash = createHash('sha256');
  const visit = (path: string): void => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path).sort()) if (entry !== 'node_modules' && !entry.startsWith('.')) visit(join(path, entry));
    } else {
      hash.update(relative(REPO_ROOT, path)).update(readFileSync(path));
    }
  };
  for (const source of SOURCES) visit(join(REPO_ROOT, source));
  return hash.digest('hex').slice(0, 16);
}

function ensureBuild(): string {
  const distDir = `.next-test/${sourceHash()}`;
  if (existsSync(join(REPO_ROOT, distDir, 'BUILD_ID'))) return distDir;
  // Builds of older sources are never used again.
  rmSync(join(REPO_ROOT, '.next-test'), { recursive: true, force: true });
  const build = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules/next/dist/bin/next'), 'build'], {
    cwd: REPO_ROOT,
    env: { ...process.env, NEXT_DIST_DIR: distDir, NEXT_TELEMETRY_DISABLED: '1' },
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (build.status !== 0) throw new Error(`next build failed:\n${build.stdout}\n${build.stderr}`);
  return distDir;
}

const PASSWORD = 'correct horse battery staple 42';

describe('HTTP API (next start)', () => {
  let zkServer: RunningServer;
  let dir: string;
  let db: Db;
  let next: ChildProcess;
  let nextOutput = '';
  let base: string;
  let recorder: Recorder;
  let external: ZkClient;
  const identity: ZkIdentity = { user: 'config-center', password: randomBytes(18).toString('base64url') };
  const tokens: Record<string, string> = {};
  const cookies: Record<string, string> = {};

  async function login(name: string, password = PASSWORD): Promise<{ status: number; cookie: string | null; setCookie: string[] }> {
    const csrf = await fetch(`${base}/api/auth/csrf`);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const csrfCookie = csrf.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const response = await fetch(`${base}/api/auth/callback/credentials`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie, origin: base },
      body: new URLSearchParams({ csrfToken, username: name, password, json: 'true' }),
    });
    const setCookie = response.headers.getSetCookie();
    const session = setCookie.find((c) => c.startsWith('next-auth.session-token='));
    return { status: response.status, cookie: session ? session.split(';')[0]! : null, setCookie };
  }

  type Who = string; // a key of tokens (bearer) or cookies (session, prefixed "session:")

  function call(who: Who | null, method: string, path: string, init: { body?: unknown; headers?: Record<string, string>; raw?: string } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (who?.startsWith('session:')) {
      headers.cookie = cookies[who.slice('session:'.length)]!;
      headers.origin ??= base;
    } else if (who !== null) {
      headers.authorization = `Bearer ${tokens[who]}`;
    }
    let body: string | undefined;
    if (init.raw !== undefined) body = init.raw;
    else if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['content-type'] ??= 'application/json';
    }
    return fetch(`${base}/api/v1${path}`, { method, headers, body, redirect: 'manual' });
  }

  async function errorOf(response: Response): Promise<{ status: number; code: string; message: string; [k: string]: unknown }> {
    const body = (await response.json()) as { error: { code: string; message: string } };
    return { status: response.status, ...body.error };
  }

  beforeAll(async () => {
    const distDir = ensureBuild();
    zkServer = await startOurServer();
    dir = mkdtempSync(join(tmpdir(), 'api-test-'));
    const databaseUrl = `file:${join(dir, 'audit.db')}`;
    db = await openDatabase(databaseUrl);
    for (const [name, role] of [['root', 'admin'], ['ed', 'editor'], ['vi', 'viewer'], ['granted', 'viewer']] as const) {
      await createUser(db, { name, password: PASSWORD, role, createdBy: 'test' });
    }
    await setGrants(db, 'granted', new Map([['shop', 'editor']]), 'test');
    tokens.admin = (await createApiToken(db, { name: 'ci-admin', role: 'admin', createdBy: 'test' })).token;
    tokens.editor = (await createApiToken(db, { name: 'ci-editor', role: 'editor', createdBy: 'test' })).token;
    tokens.viewer = (await createApiToken(db, { name: 'ci-viewer', role: 'viewer', createdBy: 'test' })).token;
    tokens.shopEditor = (await createApiToken(db, { name: 'ci-shop', role: 'editor', namespaces: ['shop'], createdBy: 'test' })).token;
    tokens.revoked = (await createApiToken(db, { name: 'ci-old', role: 'admin', createdBy: 'test' })).token;
    await db.apiToken.updateMany({ where: { name: 'ci-old' }, data: { revokedAt: new Date() } });

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    next = spawn(process.execPath, [join(REPO_ROOT, 'node_modules/next/dist/bin/next'), 'start', '-p', String(port), '-H', '127.0.0.1'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        NEXT_DIST_DIR: distDir,
        NEXT_TELEMETRY_DISABLED: '1',
        DATABASE_URL: databaseUrl,
        NEXTAUTH_SECRET: randomBytes(32).toString('base64url'),
        NEXTAUTH_URL: base,
        ZK_CONNECT: zkServer.connectString,
        ZK_AUTH: `${identity.user}:${identity.password}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    next.stdout?.on('data', (d: Buffer) => (nextOutput += d.toString()));
    next.stderr?.on('data', (d: Buffer) => (nextOutput += d.toString()));
    await waitForPort(port, '127.0.0.1', 60_000);
    recorder = new Recorder({ connectString: zkServer.connectString, identity, db });
    await recorder.start();
    external = await ZkClient.connect(zkServer.connectString, { sessionTimeout: 10_000, auth: identityAuth(identity) });
    for (const name of ['root', 'ed', 'vi', 'granted']) {
      const { cookie } = await login(name);
      if (cookie === null) throw new Error(`login of ${name} failed\n${nextOutput}`);
      cookies[name] = cookie;
    }
  }, 700_000);

  afterAll(async () => {
    await recorder?.stop();
    await external?.close();
    if (next && next.exitCode === null) {
      next.kill('SIGTERM');
      await new Promise((resolve) => next.once('exit', resolve));
    }
    await db?.$disconnect();
    await zkServer?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('authentication', () => {
    it('serves the OpenAPI document to anyone', async () => {
      const response = await fetch(`${base}/api/v1/openapi.json`);
      expect(response.status).toBe(200);
      const doc = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/namespaces', '/namespaces/{ns}/files/{file}', '/audit', '/ensemble']));
    });

    it('answers 401 without credentials, with a malformed or revoked token', async () => {
      expect(await errorOf(await call(null, 'GET', '/namespaces'))).toMatchObject({ status: 401, code: 'unauthorized' });
      const bad = await fetch(`${base}/api/v1/namespaces`, { headers: { authorization: 'Bearer zkc_nope' } });
      expect(bad.status).toBe(401);
      expect(bad.headers.get('www-authenticate')).toMatch(/Bearer/);
      expect((await call('revoked', 'GET', '/namespaces')).status).toBe(401);
      const basic = await fetch(`${base}/api/v1/namespaces`, { headers: { authorization: 'Basic YTpi' } });
      expect(basic.status).toBe(401);
    });

    it('logs in with next-auth credentials into an HttpOnly SameSite session cookie', async () => {
      const { setCookie, cookie } = await login('ed');
      expect(cookie).not.toBeNull();
      const session = setCookie.find((c) => c.startsWith('next-auth.session-token='))!;
      expect(session).toMatch(/HttpOnly/i);
      expect(session).toMatch(/SameSite=Lax/i);
      const me = await call('session:ed', 'GET', '/me');
      expect(await me.json()).toMatchObject({ name: 'ed', kind: 'user', role: 'editor', via: 'ui' });
    });

    it('refuses a wrong password and records the failure', async () => {
      const { cookie } = await login('vi', 'wrong password entirely');
      expect(cookie).toBeNull();
      const failures = await db.auditEvent.count({ where: { action: 'login_failed', actor: 'vi' } });
      expect(failures).toBeGreaterThan(0);
    });

    it('identifies token callers with their scope', async () => {
      const me = await call('shopEditor', 'GET', '/me');
      expect(await me.json()).toMatchObject({ name: 'ci-shop', kind: 'token', role: 'editor', namespaces: ['shop'], via: 'api' });
    });
  });

  describe('namespaces', () => {
    it('lets an admin create namespaces, and nobody else', async () => {
      const created = await call('admin', 'POST', '/namespaces', { body: { name: 'shop', description: 'the shop' } });
      expect(created.status).toBe(201);
      expect(((await created.json()) as { namespace: { name: string; description: string } }).namespace).toMatchObject({ name: 'shop', description: 'the shop' });
      expect((await call('session:root', 'POST', '/namespaces', { body: { name: 'billing' } })).status).toBe(201);
      expect(await errorOf(await call('editor', 'POST', '/namespaces', { body: { name: 'nope' } }))).toMatchObject({ status: 403, code: 'forbidden' });
      expect((await call('session:vi', 'POST', '/namespaces', { body: { name: 'nope' } })).status).toBe(403);
    });

    it('answers 409 for an existing namespace and 400 for a bad name or body', async () => {
      expect(await errorOf(await call('admin', 'POST', '/namespaces', { body: { name: 'shop' } }))).toMatchObject({ status: 409, code: 'conflict' });
      expect(await errorOf(await call('admin', 'POST', '/namespaces', { body: { name: '../etc' } }))).toMatchObject({ status: 400, code: 'invalid_request' });
      expect((await call('admin', 'POST', '/namespaces', { raw: 'not json', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    });

    it('lists namespaces, filtered for namespace-scoped tokens', async () => {
      const all = (await (await call('viewer', 'GET', '/namespaces')).json()) as { namespaces: Array<{ name: string }> };
      expect(all.namespaces.map((n) => n.name)).toEqual(['billing', 'shop']);
      const scoped = (await (await call('shopEditor', 'GET', '/namespaces')).json()) as { namespaces: Array<{ name: string }> };
      expect(scoped.namespaces.map((n) => n.name)).toEqual(['shop']);
      const one = await call('viewer', 'GET', '/namespaces/shop');
      expect(((await one.json()) as { namespace: { fileCount: number } }).namespace.fileCount).toBe(0);
      expect((await call('viewer', 'GET', '/namespaces/missing')).status).toBe(404);
      expect((await call('shopEditor', 'GET', '/namespaces/billing')).status).toBe(403);
    });
  });

  describe('files', () => {
    const file = '/namespaces/shop/files/db.properties';

    it('creates with If-None-Match: * and answers 409 when the file exists', async () => {
      const created = await call('session:ed', 'PUT', file, { body: { text: '# db\nurl=jdbc:pg\npassword=hunter2\n', comment: 'first' }, headers: { 'if-none-match': '*' } });
      expect(created.status).toBe(201);
      expect(created.headers.get('etag')).toBe('"0"');
      const again = await call('editor', 'PUT', file, { body: { text: 'x=1\n' }, headers: { 'if-none-match': '*' } });
      expect(await errorOf(again)).toMatchObject({ status: 409, currentVersion: 0, modifiedBy: 'ed' });
    });

    it('serves JSON with an ETag, the raw text for Accept: text/x-java-properties, and 304 for a current ETag', async () => {
      const json = await call('editor', 'GET', file);
      expect(json.headers.get('etag')).toBe('"0"');
      const body = (await json.json()) as { file: { text: string; version: number; modifiedBy: string } };
      expect(body.file).toMatchObject({ text: '# db\nurl=jdbc:pg\npassword=hunter2\n', version: 0, modifiedBy: 'ed' });
      const raw = await call('editor', 'GET', file, { headers: { accept: 'text/x-java-properties' } });
      expect(raw.headers.get('content-type')).toMatch(/^text\/x-java-properties/);
      expect(await raw.text()).toBe('# db\nurl=jdbc:pg\npassword=hunter2\n');
      expect((await call('editor', 'GET', file, { headers: { 'if-none-match': '"0"' } })).status).toBe(304);
      expect((await call('editor', 'GET', '/namespaces/shop/files/missing.properties')).status).toBe(404);
      const listed = (await (await call('viewer', 'GET', '/namespaces/shop/files')).json()) as { files: Array<{ name: string; version: number; modifiedBy: string }> };
      expect(listed.files).toEqual([expect.objectContaining({ name: 'db.properties', version: 0, modifiedBy: 'ed' })]);
    });

    it('masks secret-looking values for viewers only', async () => {
      const viewer = (await (await call('session:vi', 'GET', file)).json()) as { file: { text: string; masked: boolean } };
      expect(viewer.file.masked).toBe(true);
      expect(viewer.file.text).not.toContain('hunter2');
      expect(viewer.file.text).toContain('url=jdbc:pg');
      const editor = (await (await call('session:ed', 'GET', file)).json()) as { file: { text: string } };
      expect(editor.file.text).toContain('hunter2');
    });

    it('replaces under If-Match and answers 409 naming the current version and its author for a stale one', async () => {
      const replaced = await call('editor', 'PUT', file, { raw: 'url=jdbc:pg2\npassword=hunter2\n', headers: { 'content-type': 'text/x-java-properties', 'if-match': '"0"' } });
      expect(replaced.status).toBe(200);
      expect(replaced.headers.get('etag')).toBe('"1"');
      const stale = await call('session:ed', 'PUT', file, { body: { text: 'url=lost\n' }, headers: { 'if-match': '"0"' } });
      expect(await errorOf(stale)).toMatchObject({ status: 409, code: 'conflict', currentVersion: 1, modifiedBy: 'ci-editor' });
    });

    it('needs a precondition to replace or delete (428)', async () => {
      expect(await errorOf(await call('editor', 'PUT', file, { body: { text: 'a=1\n' } }))).toMatchObject({ status: 428, code: 'precondition_required' });
      expect((await call('editor', 'DELETE', file)).status).toBe(428);
      expect((await call('editor', 'PUT', file, { body: { text: 'a=1\n' }, headers: { 'if-match': 'abc' } })).status).toBe(400);
    });

    it('lets exactly one of two concurrent editors win; the other gets 409', async () => {
      const [a, b] = await Promise.all([
        call('session:ed', 'PUT', file, { body: { text: 'url=by-session\n' }, headers: { 'if-match': '"1"' } }),
        call('editor', 'PUT', file, { body: { text: 'url=by-token\n' }, headers: { 'if-match': '"1"' } }),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      const winner = a.status === 200 ? 'url=by-session\n' : 'url=by-token\n';
      const now = (await (await call('editor', 'GET', file)).json()) as { file: { text: string; version: number } };
      expect(now.file).toMatchObject({ text: winner, version: 2 });
    });

    it('patches keys with PATCH {set, remove}', async () => {
      const patched = await call('editor', 'PATCH', file, { body: { set: { pool: '10', url: 'jdbc:pg3' }, remove: [] }, headers: { 'if-match': '"2"' } });
      expect(patched.status).toBe(200);
      expect(patched.headers.get('etag')).toBe('"3"');
      const text = await (await call('editor', 'GET', file, { headers: { accept: 'text/x-java-properties' } })).text();
      expect(text).toBe('url=jdbc:pg3\npool=10\n');
      expect((await call('editor', 'PATCH', file, { body: { set: { a: '1' } }, headers: { 'if-match': '"0"' } })).status).toBe(409);
      expect((await call('editor', 'PATCH', file, { body: {} })).status).toBe(400);
      expect((await call('editor', 'PATCH', file, { body: { set: { a: '1' }, remove: ['a'] } })).status).toBe(400);
    });

    it('answers 400 with the line of a malformed properties file', async () => {
      const bad = await call('editor', 'PUT', file, { body: { text: 'a=1\n\nb=\\uZZZZ\n' }, headers: { 'if-match': '"3"' } });
      expect(await errorOf(bad)).toMatchObject({ status: 400, code: 'invalid_properties', line: 3 });
    });

    it('answers 413 for a file larger than the ensemble accepts, without writing it', async () => {
      const big = await call('editor', 'PUT', file, { body: { text: 'k=' + 'v'.repeat(1_100_000) }, headers: { 'if-match': '"3"' } });
      expect(await errorOf(big)).toMatchObject({ status: 413, code: 'too_large' });
      expect((await call('editor', 'GET', file)).headers.get('etag')).toBe('"3"');
    });

    it('enforces roles, grants and token scopes', async () => {
      expect((await call('viewer', 'PUT', file, { body: { text: 'a=1\n' }, headers: { 'if-match': '"3"' } })).status).toBe(403);
      expect((await call('session:vi', 'PATCH', file, { body: { set: { a: '1' } } })).status).toBe(403);
      // A viewer with an editor grant on shop may edit shop, but not billing.
      const granted = await call('session:granted', 'PUT', '/namespaces/shop/files/granted.properties', { body: { text: 'g=1\n' }, headers: { 'if-none-match': '*' } });
      expect(granted.status).toBe(201);
      const elsewhere = await call('session:granted', 'PUT', '/namespaces/billing/files/g.properties', { body: { text: 'g=1\n' }, headers: { 'if-none-match': '*' } });
      expect(elsewhere.status).toBe(403);
      // A token scoped to shop writes there, and cannot even read billing.
      expect((await call('shopEditor', 'PUT', '/namespaces/shop/files/scoped.properties', { body: { text: 's=1\n' }, headers: { 'if-none-match': '*' } })).status).toBe(201);
      expect((await call('shopEditor', 'GET', '/namespaces/billing/files')).status).toBe(403);
      expect((await call('shopEditor', 'DELETE', '/namespaces/shop')).status).toBe(403);
    });

    it('refuses session writes from another origin (same-origin check), not bearer ones', async () => {
      const forged = await call('session:ed', 'PATCH', file, { body: { set: { evil: '1' } }, headers: { origin: 'http://evil.example' } });
      expect(await errorOf(forged)).toMatchObject({ status: 403, code: 'cross_origin' });
      const headers = { cookie: cookies.ed!, 'content-type': 'application/json' };
      const noOrigin = await fetch(`${base}/api/v1${file}`, { method: 'PATCH', headers, body: JSON.stringify({ set: { evil: '1' } }) });
      expect(noOrigin.status).toBe(403);
      const viaToken = await call('editor', 'PATCH', file, { body: { set: { ok: '1' } }, headers: { origin: 'http://elsewhere.example' } });
      expect(viaToken.status).toBe(200);
    });

    it('shows the history with actors and sources, and rolls back to an audited version', async () => {
      const history = (await (await call('viewer', 'GET', `${file}/history`)).json()) as { events: Array<{ action: string; actor: string; source: string; version: number; comment: string | null }> };
      expect(history.events.map((e) => [e.action, e.version])).toEqual([
        ['patch', 4],
        ['patch', 3],
        ['update', 2],
        ['update', 1],
        ['create', 0],
      ]);
      expect(history.events.at(-1)).toMatchObject({ actor: 'ed', source: 'ui', comment: 'first' });
      expect(history.events[0]).toMatchObject({ actor: 'ci-editor', source: 'api' });
      const rolled = await call('session:ed', 'POST', `${file}/rollback`, { body: { version: 1 }, headers: { 'if-match': '"4"' } });
      expect(rolled.status).toBe(200);
      expect(rolled.headers.get('etag')).toBe('"5"');
      const text = await (await call('editor', 'GET', file, { headers: { accept: 'text/x-java-properties' } })).text();
      expect(text).toBe('url=jdbc:pg2\npassword=hunter2\n');
      expect((await call('editor', 'POST', `${file}/rollback`, { body: { version: 99 } })).status).toBe(404);
      expect((await call('editor', 'POST', `${file}/rollback`, { body: {} })).status).toBe(400);
      expect((await call('viewer', 'POST', `${file}/rollback`, { body: { version: 0 } })).status).toBe(403);
    });

    it('records a change made outside the admin in the file history (recorder running)', async () => {
      const stat = await external.setData('/configs/shop/db.properties', 'url=external\n', 5);
      const deadline = Date.now() + 10_000;
      let events: Array<{ action: string; actor: string; source: string; version: number; zxid: string }> = [];
      while (Date.now() < deadline) {
        events = ((await (await call('viewer', 'GET', `${file}/history`)).json()) as { events: typeof events }).events;
        if (events[0]?.version === 6) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(events[0]).toMatchObject({ action: 'update', actor: 'external', source: 'external', version: 6 });
      expect(BigInt(events[0]!.zxid)).toBe(stat.mzxid);
      expect(new Set(events.map((e) => e.version)).size).toBe(events.length);
    });

    it('deletes under If-Match', async () => {
      const target = '/namespaces/shop/files/scoped.properties';
      expect((await call('editor', 'DELETE', target, { headers: { 'if-match': '"7"' } })).status).toBe(409);
      expect((await call('editor', 'DELETE', target, { headers: { 'if-match': '"0"' } })).status).toBe(204);
      expect((await call('editor', 'GET', target)).status).toBe(404);
    });
  });

  describe('change events', () => {
    const file = '/namespaces/shop/files/db.properties';

    it('long-polls: answers at once for an old version, at the deadline without a change, on the change otherwise', async () => {
      const old = (await (await call('viewer', 'GET', `${file}/events?wait=5&version=0`)).json()) as { changed: boolean; state: { version: number } };
      expect(old).toMatchObject({ changed: true, state: { version: 6 } });
      const started = Date.now();
      const idle = (await (await call('viewer', 'GET', `${file}/events?wait=0.3&version=6`)).json()) as { changed: boolean };
      expect(idle.changed).toBe(false);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      const waiting = call('viewer', 'GET', `${file}/events?wait=10&version=6`);
      await new Promise((r) => setTimeout(r, 300));
      await call('editor', 'PATCH', file, { body: { set: { polled: 'yes' } }, headers: { 'if-match': '"6"' } });
      const changed = (await (await waiting).json()) as { changed: boolean; state: { version: number; text: string } };
      expect(changed.changed).toBe(true);
      expect(changed.state.version).toBe(7);
      expect(changed.state.text).toContain('polled=yes');
    });

    it('streams Server-Sent Events: the state, then each change', async () => {
      const controller = new AbortController();
      const response = await fetch(`${base}/api/v1${file}/events`, { headers: { authorization: `Bearer ${tokens.viewer}` }, signal: controller.signal });
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      const nextEvent = async (): Promise<{ event: string; data: { version: number | null; exists: boolean } }> => {
        for (;;) {
          const match = /event: (\w+)\ndata: (.*)\n\n/.exec(buffer);
          if (match) {
            buffer = buffer.slice(match.index + match[0].length);
            return { event: match[1]!, data: JSON.parse(match[2]!) };
          }
          const { value, done } = await reader.read();
          if (done) throw new Error('stream ended');
          buffer += decoder.decode(value, { stream: true });
        }
      };
      try {
        expect(await nextEvent()).toMatchObject({ event: 'state', data: { version: 7, exists: true } });
        await call('editor', 'PATCH', file, { body: { set: { streamed: '1' } }, headers: { 'if-match': '"7"' } });
        expect(await nextEvent()).toMatchObject({ event: 'change', data: { version: 8 } });
        await external.setData('/configs/shop/db.properties', 'url=ext2\n', 8);
        expect(await nextEvent()).toMatchObject({ event: 'change', data: { version: 9 } });
      } finally {
        controller.abort();
      }
    });
  });

  describe('audit', () => {
    it('filters by namespace, actor and source, newest first', async () => {
      const byActor = (await (await call('viewer', 'GET', '/audit?actor=ci-editor&namespace=shop')).json()) as { events: Array<{ actor: string; source: string }> };
      expect(byActor.events.length).toBeGreaterThanOrEqual(3);
      expect(byActor.events.every((e) => e.actor === 'ci-editor' && e.source === 'api')).toBe(true);
      const external = (await (await call('viewer', 'GET', '/audit?source=external')).json()) as { events: Array<{ actor: string }> };
      expect(external.events.length).toBeGreaterThanOrEqual(1);
      expect(external.events.every((e) => e.actor === 'external')).toBe(true);
      const future = (await (await call('viewer', 'GET', `/audit?since=${new Date(Date.now() + 3_600_000).toISOString()}`)).json()) as { events: unknown[] };
      expect(future.events).toEqual([]);
      expect((await call('viewer', 'GET', '/audit?since=yesterday')).status).toBe(400);
      expect((await call('viewer', 'GET', '/audit?source=martians')).status).toBe(400);
    });

    it('pages with a cursor without repeating or skipping events', async () => {
      const all = (await (await call('admin', 'GET', '/audit?namespace=shop&limit=500')).json()) as { events: Array<{ id: number }> };
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const page = (await (await call('admin', 'GET', `/audit?namespace=shop&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).json()) as { events: Array<{ id: number }>; nextCursor: string | null };
        expect(page.events.length).toBeLessThanOrEqual(3);
        seen.push(...page.events.map((e) => e.id));
        cursor = page.nextCursor;
      } while (cursor !== null);
      // The recorder may still append a row while we page (newest first, so only at the head): compare the rows that
      // existed when `all` was read, and check nothing repeats.
      const newest = Math.max(...all.events.map((e) => e.id));
      expect(seen.filter((id) => id <= newest)).toEqual(all.events.map((e) => e.id));
      expect(new Set(seen).size).toBe(seen.length);
      expect((await call('admin', 'GET', '/audit?cursor=garbage')).status).toBe(400);
    });

    it('exports CSV and JSON', async () => {
      const csv = await call('admin', 'GET', '/audit?namespace=shop&format=csv');
      expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="audit-.*\.csv"/);
      const lines = (await csv.text()).trim().split('\r\n');
      expect(lines[0]).toMatch(/^id,at,actor,actorType,source,action/);
      const json = (await (await call('admin', 'GET', '/audit?namespace=shop&format=json')).json()) as Array<{ namespace: string }>;
      expect(json.length).toBeGreaterThan(5);
      expect(json.every((e) => e.namespace === 'shop')).toBe(true);
    });

    it('masks secrets for viewers and keeps scoped tokens to their namespaces', async () => {
      const viewer = (await (await call('viewer', 'GET', '/audit?namespace=shop&file=db.properties&limit=500')).json()) as { events: Array<{ after: string | null; masked: boolean }> };
      expect(viewer.events.every((e) => e.masked)).toBe(true);
      expect(viewer.events.some((e) => e.after?.includes('hunter2'))).toBe(false);
      const admin = (await (await call('admin', 'GET', '/audit?namespace=shop&file=db.properties&limit=500')).json()) as { events: Array<{ after: string | null }> };
      expect(admin.events.some((e) => e.after?.includes('hunter2'))).toBe(true);
      expect((await call('shopEditor', 'GET', '/audit?namespace=billing')).status).toBe(403);
      const scoped = (await (await call('shopEditor', 'GET', '/audit?limit=500')).json()) as { events: Array<{ namespace: string | null }> };
      expect(scoped.events.length).toBeGreaterThan(0);
      expect(scoped.events.every((e) => e.namespace === 'shop')).toBe(true);
    });
  });

  describe('namespace lifecycle', () => {
    it('rotates the read credential (admin only) so applications can read with it', async () => {
      expect((await call('editor', 'POST', '/namespaces/shop/credential')).status).toBe(403);
      const rotated = (await (await call('admin', 'POST', '/namespaces/shop/credential')).json()) as { credential: { auth: string } };
      const reader = await ZkClient.connect(zkServer.connectString, { sessionTimeout: 10_000, auth: [{ scheme: 'digest', auth: rotated.credential.auth }] });
      try {
        expect((await reader.getData('/configs/shop/db.properties')).data?.toString()).toContain('url=ext2');
      } finally {
        await reader.close();
      }
    });

    it('refuses to delete a namespace holding files (409) unless forced; only admins may', async () => {
      expect((await call('editor', 'DELETE', '/namespaces/shop')).status).toBe(403);
      expect(await errorOf(await call('admin', 'DELETE', '/namespaces/shop'))).toMatchObject({ status: 409, code: 'not_empty' });
      expect((await call('admin', 'DELETE', '/namespaces/billing')).status).toBe(204);
      expect((await call('admin', 'GET', '/namespaces/billing')).status).toBe(404);
    });
  });

  describe('ensemble', () => {
    it('reports each node from srvr/mntr', async () => {
      const body = (await (await call('viewer', 'GET', '/ensemble')).json()) as { nodes: Array<{ address: string; up: boolean; mode: string; zxid: string; connections: number }>; quorum: boolean };
      expect(body.nodes).toHaveLength(1);
      expect(body.nodes[0]).toMatchObject({ address: zkServer.connectString, up: true, mode: 'standalone' });
      expect(body.nodes[0]!.zxid).toMatch(/^0x[0-9a-f]+$/);
      expect(body.nodes[0]!.connections).toBeGreaterThanOrEqual(2);
      expect(body.quorum).toBe(true);
    });

    it('answers 503 with Retry-After while the ensemble is unreachable', async () => {
      await recorder.stop();
      await external.close();
      zkServer.kill('SIGKILL');
      await zkServer.exited();
      const response = await call('viewer', 'GET', '/namespaces/shop/files/db.properties');
      expect(await errorOf(response)).toMatchObject({ status: 503, code: 'ensemble_unavailable' });
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      const status = (await (await call('viewer', 'GET', '/ensemble')).json()) as { nodes: Array<{ up: boolean }>; quorum: boolean };
      expect(status.nodes[0]!.up).toBe(false);
      expect(status.quorum).toBe(false);
    }, 30_000);
  });
});
