// Passwords, tokens, authorisation, throttling, first admin and NEXTAUTH_SECRET, against a real SQLite file.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync, readFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db, type Role } from '../../server/db.ts';
import {
  authenticateUser, authorize, createApiToken, createUser, ensureInitialAdmin, hashPassword, listApiTokens,
  loadOrCreateAuthSecret, loadUserPrincipal, mustMaskSecrets, needsRehash, passwordProblem, revokeApiToken,
  clearVerifiedTokenCache, rotateNamespaceCredential, setGrants, setRole, verifyApiToken, verifyPassword, zkDigest, USER_IP_POLICY,
  type Action, type Principal,
} from '../../server/auth/index.ts';
import { AuditStore } from '../../server/audit/index.ts';
import { createHash } from 'node:crypto';

let tmp: string;
let db: Db;
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'auth-test-'));
  db = await openDatabase(`file:${join(tmp, 'audit.db')}`);
});
afterAll(async () => {
  await db.$disconnect();
  rmSync(tmp, { recursive: true, force: true });
});

describe('passwords', () => {
  it('hashes with a per-user salt and verifies only the right password', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$N=32768,r=8,p=1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('anything', 'garbage')).toBe(false);
    expect(await verifyPassword('anything', 'scrypt$N=1073741824,r=8,p=1$AAAA$AAAA')).toBe(false);
  });

  it('asks for a rehash when the stored parameters are weaker than today', async () => {
    const weak = await hashPassword('correct horse battery', { N: 2 ** 10, r: 8, p: 1 });
    expect(await verifyPassword('correct horse battery', weak)).toBe(true);
    expect(needsRehash(weak)).toBe(true);
    expect(needsRehash(await hashPassword('x'))).toBe(false);
  });

  it('refuses sample and short passwords', () => {
    for (const sample of ['admin', 'password', 'changeme', 'ChangeMe', 'short1']) expect(passwordProblem(sample)).not.toBeNull();
    expect(passwordProblem('aaaaaaaaaaaaaaaa')).not.toBeNull();
    expect(passwordProblem('a-long-and-unusual-pass')).toBeNull();
  });
});

describe('authorize', () => {
  const user = (role: Role, grants: Array<[string, Role]> = []): Principal => ({ kind: 'user', name: 'u', role, grants: new Map(grants) });
  const token = (role: Role, namespaces: string[] | null): Principal => ({ kind: 'token', name: 't', tokenId: 1, role, namespaces });
  const cases: Array<[string, Principal, Action, string | undefined, boolean]> = [
    ['viewer reads', user('viewer'), 'config:read', 'a', true],
    ['viewer cannot write', user('viewer'), 'config:write', 'a', false],
    ['editor writes anywhere without grants', user('editor'), 'config:write', 'a', true],
    ['editor cannot manage users', user('editor'), 'user:manage', undefined, false],
    ['editor cannot delete a namespace', user('editor'), 'namespace:delete', 'a', false],
    ['admin manages users', user('admin'), 'user:manage', undefined, true],
    ['admin touches raw znodes', user('admin'), 'znode:raw', undefined, true],
    ['granted editor writes its namespace', user('editor', [['a', 'editor']]), 'config:write', 'a', true],
    ['granted editor only reads others', user('editor', [['a', 'editor']]), 'config:write', 'b', false],
    ['granted editor still reads others', user('editor', [['a', 'editor']]), 'config:read', 'b', true],
    ['viewer with an editor grant writes there', user('viewer', [['a', 'editor']]), 'config:write', 'a', true],
    ['admin stays admin with grants', user('admin', [['a', 'viewer']]), 'config:write', 'a', true],
    ['unscoped editor token writes', token('editor', null), 'config:write', 'x', true],
    ['scoped token writes its namespace', token('editor', ['a']), 'config:write', 'a', true],
    ['scoped token cannot even read others', token('editor', ['a']), 'config:read', 'b', false],
    ['scoped admin token cannot manage users', token('admin', ['a']), 'user:manage', undefined, false],
    ['scoped token cannot read all history', token('viewer', ['a']), 'audit:read-all', undefined, false],
    ['unscoped admin token manages tokens', token('admin', null), 'token:manage', undefined, true],
    ['viewer token cannot see secrets', token('viewer', null), 'secret:read', 'a', false],
  ];
  it.each(cases)('%s', (_name, principal, action, namespace, expected) => {
    expect(authorize(principal, action, namespace)).toBe(expected);
  });

  it('masks secrets for viewers only', () => {
    expect(mustMaskSecrets(user('viewer'), 'a')).toBe(true);
    expect(mustMaskSecrets(user('editor'), 'a')).toBe(false);
    expect(mustMaskSecrets(user('editor', [['a', 'editor']]), 'b')).toBe(true);
  });
});

describe('API tokens', () => {
  it('creates a token shown once, verifies it, records lastUsedAt, and revokes it', async () => {
    const created = await createApiToken(db, { name: 'ci', role: 'editor', namespaces: ['b', 'a'], createdBy: 'admin' });
    expect(created.token).toMatch(/^zkc_[A-Za-z0-9_-]{43}$/);
    expect(created.token.startsWith(created.prefix)).toBe(true);
    const stored = await db.apiToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(stored.hash).not.toContain(created.token.slice(4));
    expect(stored.hash).toMatch(/^scrypt\$N=16384,r=8,p=1\$/);
    expect(stored.hash).not.toBe(createHash('sha256').update(created.token).digest('hex'));

    const principal = await verifyApiToken(db, created.token);
    expect(principal).toMatchObject({ kind: 'token', name: 'ci', role: 'editor', namespaces: ['a', 'b'] });
    expect((await db.apiToken.findUniqueOrThrow({ where: { id: created.id } })).lastUsedAt).not.toBeNull();
    expect(await verifyApiToken(db, created.token.slice(0, -1) + (created.token.endsWith('A') ? 'B' : 'A'))).toBeNull();
    expect(await verifyApiToken(db, 'zkc_short')).toBeNull();

    expect(await revokeApiToken(db, created.id, 'admin')).toBe(true);
    expect(await verifyApiToken(db, created.token)).toBeNull();
    expect(await revokeApiToken(db, created.id, 'admin')).toBe(false);
    const listed = (await listApiTokens(db)).find((t) => t.id === created.id);
    expect(listed?.revokedAt).not.toBeNull();
    expect(listed).not.toHaveProperty('hash');

    const events = await new AuditStore(db).query({ actor: 'admin' });
    expect(events.events.map((e) => e.action)).toEqual(expect.arrayContaining(['token_created', 'token_revoked']));
    expect(JSON.stringify(events.events)).not.toContain(created.token);
  });
});

describe('API tokens under a slow KDF', () => {
  it('keeps scrypt off the repeat path, yet a revocation by another process takes effect at once', async () => {
    const created = await createApiToken(db, { name: 'deploy', role: 'viewer', createdBy: 'admin' });
    clearVerifiedTokenCache();
    expect(await verifyApiToken(db, created.token)).toMatchObject({ name: 'deploy' });
    // Spoil the stored hash: only a remembered verification can still accept the token now.
    const stored = await db.apiToken.findUniqueOrThrow({ where: { id: created.id } });
    await db.apiToken.update({ where: { id: created.id }, data: { hash: stored.hash.replace(/\$[^$]+$/, '$AAAA') } });
    expect(await verifyApiToken(db, created.token)).toMatchObject({ name: 'deploy' });
    clearVerifiedTokenCache();
    expect(await verifyApiToken(db, created.token)).toBeNull();
    await db.apiToken.update({ where: { id: created.id }, data: { hash: stored.hash } });
    expect(await verifyApiToken(db, created.token)).toMatchObject({ name: 'deploy' });

    // Another admin process revokes it: this process's cache must not keep the token alive.
    await db.apiToken.update({ where: { id: created.id }, data: { revokedAt: new Date() } });
    expect(await verifyApiToken(db, created.token)).toBeNull();
  });

  it('finds tokens by their lookup id and refuses a token that shares it but not the rest', async () => {
    const created = await createApiToken(db, { name: 'twin', role: 'viewer', createdBy: 'admin' });
    const forged = created.token.slice(0, 12) + 'A'.repeat(created.token.length - 12);
    clearVerifiedTokenCache();
    expect(await verifyApiToken(db, forged)).toBeNull();
    expect(await verifyApiToken(db, created.token)).toMatchObject({ name: 'twin' });
  });

  it('accepts a token stored before the KDF migration and rewrites it under scrypt on first use', async () => {
    const created = await createApiToken(db, { name: 'legacy', role: 'viewer', createdBy: 'admin' });
    const legacy = createHash('sha256').update(created.token).digest('hex');
    await db.apiToken.update({ where: { id: created.id }, data: { hash: legacy } });
    clearVerifiedTokenCache();
    expect(await verifyApiToken(db, created.token)).toMatchObject({ name: 'legacy' });
    const upgraded = await db.apiToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(upgraded.hash).toMatch(/^scrypt\$/);
    clearVerifiedTokenCache();
    expect(await verifyApiToken(db, created.token)).toMatchObject({ name: 'legacy' });
  });
});

describe('users and login', () => {
  it('logs in with the right password, audits both outcomes, and applies grants', async () => {
    await createUser(db, { name: 'alice', password: 'alice-long-password', role: 'editor', createdBy: 'admin' });
    await setGrants(db, 'alice', new Map([['payments', 'editor']]), 'admin');
    const ok = await authenticateUser(db, { name: 'alice', password: 'alice-long-password', ip: '10.0.0.1' });
    expect(ok.ok).toBe(true);
    if (ok.ok) {
      expect(authorize(ok.principal, 'config:write', 'payments')).toBe(true);
      expect(authorize(ok.principal, 'config:write', 'other')).toBe(false);
    }
    expect(await authenticateUser(db, { name: 'alice', password: 'wrong-password!', ip: '10.0.0.1' })).toEqual({ ok: false, reason: 'invalid' });
    expect(await authenticateUser(db, { name: 'nobody', password: 'whatever-pass', ip: '10.0.0.1' })).toEqual({ ok: false, reason: 'invalid' });
    const page = await new AuditStore(db).query({ since: new Date(Date.now() - 60_000) });
    const aliceEvents = page.events.filter((e) => e.actor === 'alice').map((e) => e.action);
    expect(aliceEvents).toEqual(['login_failed', 'login']);
    expect(page.events.find((e) => e.actor === 'nobody')).toMatchObject({ action: 'login_failed', clientIp: '10.0.0.1', detail: 'unknown user' });
  });

  it('locks a user+IP after repeated failures, with a Retry-After, and other IPs are unaffected', async () => {
    await createUser(db, { name: 'bob', password: 'bob-long-password', role: 'viewer', createdBy: 'admin' });
    const now = new Date();
    for (let i = 0; i < USER_IP_POLICY.maxFailures; i++) {
      expect(await authenticateUser(db, { name: 'bob', password: 'nope-nope-nope', ip: '10.0.0.2' }, {}, now)).toMatchObject({ reason: 'invalid' });
    }
    const locked = await authenticateUser(db, { name: 'bob', password: 'bob-long-password', ip: '10.0.0.2' }, {}, now);
    expect(locked).toMatchObject({ ok: false, reason: 'locked' });
    if (!locked.ok && locked.reason === 'locked') {
      expect(locked.retryAfterSeconds).toBeGreaterThan(0);
      expect(locked.retryAfterSeconds).toBeLessThanOrEqual(USER_IP_POLICY.lockMs / 1000);
    }
    expect((await authenticateUser(db, { name: 'bob', password: 'bob-long-password', ip: '10.0.0.3' }, {}, now)).ok).toBe(true);
    const later = new Date(now.getTime() + USER_IP_POLICY.lockMs + 1000);
    expect((await authenticateUser(db, { name: 'bob', password: 'bob-long-password', ip: '10.0.0.2' }, {}, later)).ok).toBe(true);
  });

  it('a role change takes effect on the next principal load and is audited', async () => {
    await createUser(db, { name: 'carol', password: 'carol-long-password', role: 'viewer', createdBy: 'admin' });
    await setRole(db, 'carol', 'editor', 'admin');
    expect((await loadUserPrincipal(db, 'carol'))?.role).toBe('editor');
    const events = await new AuditStore(db).query({ action: 'role_changed' });
    expect(events.events.some((e) => e.detail === 'carol: viewer → editor')).toBe(true);
  });
});

describe('first start', () => {
  it('creates admin once with a generated password, and refuses sample ADMIN_PASSWORD values', async () => {
    const fresh = await openDatabase(`file:${join(tmp, 'first.db')}`);
    try {
      await expect(ensureInitialAdmin(fresh, { ADMIN_PASSWORD: 'changeme' })).rejects.toThrow(/ADMIN_PASSWORD refused/);
      const first = await ensureInitialAdmin(fresh, {});
      expect(first.created).toBe(true);
      expect(first.generatedPassword?.length).toBeGreaterThanOrEqual(20);
      expect(await ensureInitialAdmin(fresh, {})).toEqual({ created: false });
      const login = await authenticateUser(fresh, { name: 'admin', password: first.generatedPassword!, ip: '127.0.0.1' });
      expect(login.ok && login.principal.role).toBe('admin');
    } finally {
      await fresh.$disconnect();
    }
  });

  it('generates NEXTAUTH_SECRET once with mode 0600, and prefers the environment', () => {
    const dir = join(tmp, 'secret');
    const first = loadOrCreateAuthSecret(dir, {});
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(statSync(join(dir, 'nextauth.secret')).mode & 0o777).toBe(0o600);
    expect(loadOrCreateAuthSecret(dir, {})).toBe(first);
    chmodSync(join(dir, 'nextauth.secret'), 0o644);
    expect(loadOrCreateAuthSecret(dir, {})).toBe(first);
    expect(statSync(join(dir, 'nextauth.secret')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'nextauth.secret'), 'utf8').trim()).toBe(first);
    const fromEnv = 'x'.repeat(40);
    expect(loadOrCreateAuthSecret(dir, { NEXTAUTH_SECRET: fromEnv })).toBe(fromEnv);
    expect(() => loadOrCreateAuthSecret(dir, { NEXTAUTH_SECRET: 'short' })).toThrow(/at least/);
  });
});

describe('namespace credentials', () => {
  it('computes ZooKeeper digests like DigestAuthenticationProvider', () => {
    // The example from ZooKeeper's documentation: super:admin
    expect(zkDigest('super', 'admin')).toBe('xQJmxLMiHGwaqBvst5y6rkB6HQs=');
  });

  it('stores only the digest and rotates it', async () => {
    const first = await rotateNamespaceCredential(db, 'payments', 'admin');
    const second = await rotateNamespaceCredential(db, 'payments', 'admin');
    expect(second.password).not.toBe(first.password);
    const row = await db.namespaceCredential.findUniqueOrThrow({ where: { namespace: 'payments' } });
    expect(row.digest).toBe(zkDigest(second.user, second.password));
    expect(JSON.stringify(row)).not.toContain(second.password);
  });
});
