// API tokens for automation: "zkc_" + 32 random bytes (base64url), returned once at creation. What is stored
// is scrypt(token) with its own salt (as for passwords), so a leaked database does not hand out working tokens
// even for a hash that is later found to be weak. The first characters ("zkc_" + 8) are stored in clear as a
// lookup id, so verifying is one indexed row lookup and one scrypt. A process remembers tokens it has verified
// (by their SHA-256) for a few minutes to keep scrypt off the per-request path; the row is still read on every
// request, so a revocation takes effect at once in every process.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db, Role } from '../db.ts';
import { AuditStore } from '../audit/store.ts';
import { hashPassword, verifyPassword, type ScryptParams } from './password.ts';
import type { AuthContext } from './users.ts';
import type { TokenPrincipal } from './authorize.ts';

export const TOKEN_PREFIX = 'zkc_';
const TOKEN_PATTERN = /^zkc_[A-Za-z0-9_-]{43}$/;
const LOOKUP_ID_LENGTH = TOKEN_PREFIX.length + 8;
/** Cheaper than a password's: the input has 256 random bits, so cost only has to defeat a weakness in the hash. */
export const TOKEN_KDF_PARAMS: ScryptParams = { N: 2 ** 14, r: 8, p: 1 };
/** lastUsedAt is informational; writing it on every request would serialise all API reads on SQLite's lock. */
const LAST_USED_RESOLUTION_MS = 60_000;
const VERIFIED_CACHE_TTL_MS = 5 * 60_000;
const VERIFIED_CACHE_MAX = 1000;

/** SHA-256 of a token: the in-process cache key, and how rows written before the KDF migration were stored. */
function sha256Hex(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** sha256(token) → the token row it was verified against, and until when that scrypt result may be reused. */
const verified = new Map<string, { id: number; until: number }>();

function rememberVerified(token: string, id: number, now: number): void {
  if (verified.size >= VERIFIED_CACHE_MAX) verified.delete(verified.keys().next().value!);
  verified.set(sha256Hex(token), { id, until: now + VERIFIED_CACHE_TTL_MS });
}

function cachedTokenId(token: string, now: number): number | null {
  const key = sha256Hex(token);
  const hit = verified.get(key);
  if (hit === undefined) return null;
  if (hit.until <= now) {
    verified.delete(key);
    return null;
  }
  return hit.id;
}

/** Forget every verified token (tests, and after a revocation in this process). */
export function clearVerifiedTokenCache(): void {
  verified.clear();
}

async function tokenMatches(token: string, stored: string): Promise<boolean> {
  if (/^[0-9a-f]{64}$/.test(stored)) {
    return timingSafeEqual(Buffer.from(sha256Hex(token), 'hex'), Buffer.from(stored, 'hex'));
  }
  return verifyPassword(token, stored);
}

export interface CreatedToken {
  id: number;
  /** Show this once; it cannot be recovered. */
  token: string;
  prefix: string;
}

export interface TokenSpec {
  name: string;
  role: Role;
  /** null or undefined: every namespace. */
  namespaces?: readonly string[] | null;
  createdBy: string;
}

export async function createApiToken(db: Db, spec: TokenSpec, context: AuthContext = {}): Promise<CreatedToken> {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const prefix = token.slice(0, LOOKUP_ID_LENGTH);
  const namespaces = spec.namespaces == null ? null : JSON.stringify([...new Set(spec.namespaces)].sort());
  const row = await db.apiToken.create({
    data: { name: spec.name, hash: await hashPassword(token, TOKEN_KDF_PARAMS), prefix, role: spec.role, namespaces, createdBy: spec.createdBy },
  });
  await new AuditStore(db).recordAuthEvent({
    action: 'token_created',
    actor: spec.createdBy,
    actorType: 'user',
    detail: `token "${spec.name}" (${prefix}…) role ${spec.role}, namespaces ${namespaces ?? 'all'}`,
    source: context.source ?? 'system',
    requestId: context.requestId ?? null,
    clientIp: context.clientIp ?? null,
  });
  return { id: row.id, token, prefix };
}

/** The principal a bearer token stands for, or null for a malformed, unknown or revoked token. */
export async function verifyApiToken(db: Db, token: string, now: Date = new Date()): Promise<TokenPrincipal | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const row = await findTokenRow(db, token, now.getTime());
  if (row === null || row.revokedAt !== null) return null;
  if (row.lastUsedAt === null || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: now } });
  }
  return {
    kind: 'token',
    name: row.name,
    tokenId: row.id,
    role: row.role,
    namespaces: row.namespaces === null ? null : (JSON.parse(row.namespaces) as string[]),
  };
}

async function findTokenRow(db: Db, token: string, now: number) {
  const cachedId = cachedTokenId(token, now);
  if (cachedId !== null) return db.apiToken.findUnique({ where: { id: cachedId } });
  // An unknown lookup id is refused without a scrypt; that tells a prober only that 48 random bits did not match.
  const candidates = await db.apiToken.findMany({ where: { prefix: token.slice(0, LOOKUP_ID_LENGTH) } });
  for (const row of candidates) {
    if (!(await tokenMatches(token, row.hash))) continue;
    if (!row.hash.startsWith('scrypt$')) {
      // A row from before the KDF migration: upgrade it now that the token is known.
      await db.apiToken.update({ where: { id: row.id }, data: { hash: await hashPassword(token, TOKEN_KDF_PARAMS) } });
    }
    if (row.revokedAt === null) rememberVerified(token, row.id, now);
    return row;
  }
  return null;
}

export async function revokeApiToken(db: Db, id: number, revokedBy: string, context: AuthContext = {}): Promise<boolean> {
  const row = await db.apiToken.findUnique({ where: { id } });
  if (row === null || row.revokedAt !== null) return false;
  await db.apiToken.update({ where: { id }, data: { revokedAt: new Date() } });
  clearVerifiedTokenCache();
  await new AuditStore(db).recordAuthEvent({
    action: 'token_revoked',
    actor: revokedBy,
    actorType: 'user',
    detail: `token "${row.name}" (${row.prefix}…)`,
    source: context.source ?? 'system',
    requestId: context.requestId ?? null,
    clientIp: context.clientIp ?? null,
  });
  return true;
}

export interface TokenSummary {
  id: number;
  name: string;
  prefix: string;
  role: Role;
  namespaces: string[] | null;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export async function listApiTokens(db: Db): Promise<TokenSummary[]> {
  const rows = await db.apiToken.findMany({ orderBy: { id: 'asc' } });
  return rows.map(({ hash: _hash, namespaces, ...rest }) => ({
    ...rest,
    namespaces: namespaces === null ? null : (JSON.parse(namespaces) as string[]),
  }));
}
