// Users: creation, password resets, roles and grants, and the login check that next-auth's
// Credentials provider calls. Every authentication event becomes an audit row.

/** Only the variables we read: a plain object in tests, `process.env` otherwise. */
type Env = Record<string, string | undefined>;
import type { Db, Role } from '../db.ts';
import { isUniqueViolation } from '../db.ts';
import { AuditStore } from '../audit/store.ts';
import type { AuthEvent } from '../audit/types.ts';
import type { UserPrincipal } from './authorize.ts';
import { decoyHash, generatePassword, hashPassword, needsRehash, passwordProblem, verifyPassword } from './password.ts';
import { recordFailure, recordSuccess, retryAfterSeconds } from './throttle.ts';

export const ROLES: readonly Role[] = ['admin', 'editor', 'viewer'];
const USER_NAME = /^[A-Za-z0-9._@-]{1,64}$/;

export interface AuthContext {
  source?: AuthEvent['source'];
  requestId?: string | null;
  clientIp?: string | null;
}

export class UserError extends Error {
  override name = 'UserError';
}

function audit(db: Db, event: Omit<AuthEvent, 'source'>, context: AuthContext): Promise<unknown> {
  return new AuditStore(db).recordAuthEvent({
    ...event,
    source: context.source ?? 'system',
    requestId: context.requestId ?? null,
    clientIp: context.clientIp ?? null,
  });
}

export function checkUserName(name: string): void {
  if (!USER_NAME.test(name)) throw new UserError(`invalid user name ${JSON.stringify(name)}: use 1-64 of A-Z a-z 0-9 . _ @ -`);
}

export async function createUser(
  db: Db,
  spec: { name: string; password: string; role: Role; createdBy: string },
  context: AuthContext = {},
): Promise<{ id: number }> {
  checkUserName(spec.name);
  const problem = passwordProblem(spec.password, spec.name);
  if (problem !== null) throw new UserError(problem);
  try {
    const user = await db.user.create({
      data: { name: spec.name, passwordHash: await hashPassword(spec.password), role: spec.role },
    });
    await audit(db, { action: 'role_changed', actor: spec.createdBy, actorType: 'user', detail: `created user ${spec.name} with role ${spec.role}` }, context);
    return { id: user.id };
  } catch (error) {
    if (isUniqueViolation(error)) throw new UserError(`user ${spec.name} already exists`);
    throw error;
  }
}

export async function resetPassword(db: Db, name: string, password: string, by: string, context: AuthContext = {}): Promise<void> {
  const problem = passwordProblem(password, name);
  if (problem !== null) throw new UserError(problem);
  const { count } = await db.user.updateMany({
    where: { name },
    data: { passwordHash: await hashPassword(password), passwordChangedAt: new Date() },
  });
  if (count === 0) throw new UserError(`no user ${name}`);
  await audit(db, { action: 'role_changed', actor: by, actorType: 'user', detail: `password of ${name} reset` }, context);
}

export async function setRole(db: Db, name: string, role: Role, by: string, context: AuthContext = {}): Promise<void> {
  const user = await db.user.findUnique({ where: { name } });
  if (user === null) throw new UserError(`no user ${name}`);
  if (user.role === role) return;
  // Sessions carry the role; bumping passwordChangedAt makes existing ones stale.
  await db.user.update({ where: { name }, data: { role, passwordChangedAt: new Date() } });
  await audit(db, { action: 'role_changed', actor: by, actorType: 'user', detail: `${name}: ${user.role} → ${role}` }, context);
}

/** Replaces a user's namespace grants (an empty map removes them all). */
export async function setGrants(db: Db, name: string, grants: ReadonlyMap<string, Role>, by: string, context: AuthContext = {}): Promise<void> {
  const user = await db.user.findUnique({ where: { name } });
  if (user === null) throw new UserError(`no user ${name}`);
  await db.$transaction([
    db.namespaceGrant.deleteMany({ where: { userId: user.id } }),
    db.namespaceGrant.createMany({ data: [...grants].map(([namespace, role]) => ({ userId: user.id, namespace, role })) }),
  ]);
  const described = [...grants].map(([ns, role]) => `${ns}=${role}`).join(', ') || 'none';
  await audit(db, { action: 'role_changed', actor: by, actorType: 'user', detail: `grants of ${name}: ${described}` }, context);
}

export async function setDisabled(db: Db, name: string, disabled: boolean, by: string, context: AuthContext = {}): Promise<void> {
  const { count } = await db.user.updateMany({ where: { name }, data: { disabled, passwordChangedAt: new Date() } });
  if (count === 0) throw new UserError(`no user ${name}`);
  await audit(db, { action: 'role_changed', actor: by, actorType: 'user', detail: `${name} ${disabled ? 'disabled' : 'enabled'}` }, context);
}

/** The principal for an active user (re-read on each request so role changes and disabling apply at once). */
export async function loadUserPrincipal(db: Db, name: string): Promise<UserPrincipal | null> {
  const user = await db.user.findUnique({ where: { name }, include: { grants: true } });
  if (user === null || user.disabled) return null;
  return { kind: 'user', name: user.name, role: user.role, grants: new Map(user.grants.map((g) => [g.namespace, g.role])) };
}

export type LoginResult =
  | { ok: true; principal: UserPrincipal }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'locked'; retryAfterSeconds: number };

/**
 * The Credentials check. An unknown user, a disabled user and a wrong password all answer "invalid"
 * after the same scrypt work, so neither the answer nor its timing tells which names exist.
 */
export async function authenticateUser(
  db: Db,
  credentials: { name: string; password: string; ip: string },
  context: AuthContext = {},
  now: Date = new Date(),
): Promise<LoginResult> {
  const { name, password, ip } = credentials;
  const auditContext = { ...context, clientIp: context.clientIp ?? ip };
  const wait = await retryAfterSeconds(db, name, ip, now);
  if (wait > 0) {
    await audit(db, { action: 'login_failed', actor: name, actorType: 'user', detail: `locked out; retry after ${wait}s` }, auditContext);
    return { ok: false, reason: 'locked', retryAfterSeconds: wait };
  }
  const user = await db.user.findUnique({ where: { name } });
  const valid = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
  if (user === null || user.disabled || !valid) {
    await recordFailure(db, name, ip, now);
    const detail = user === null ? 'unknown user' : user.disabled ? 'user disabled' : 'wrong password';
    await audit(db, { action: 'login_failed', actor: name, actorType: 'user', detail }, auditContext);
    return { ok: false, reason: 'invalid' };
  }
  await recordSuccess(db, name, ip);
  if (needsRehash(user.passwordHash)) {
    await db.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(password) } });
  }
  await audit(db, { action: 'login', actor: name, actorType: 'user' }, auditContext);
  const principal = await loadUserPrincipal(db, name);
  return principal === null ? { ok: false, reason: 'invalid' } : { ok: true, principal };
}

export interface InitialAdmin {
  created: boolean;
  /** Set only when the password was generated: print it once, it is stored nowhere else. */
  generatedPassword?: string;
}

/**
 * First start: when there is no user at all, create `admin` with ADMIN_PASSWORD, or a generated password
 * the caller prints once. Sample values ("admin", "changeme"...) are refused rather than silently used.
 */
export async function ensureInitialAdmin(db: Db, env: Env = process.env): Promise<InitialAdmin> {
  if ((await db.user.count()) > 0) return { created: false };
  const fromEnv = env.ADMIN_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') {
    const problem = passwordProblem(fromEnv, 'admin');
    if (problem !== null) throw new UserError(`ADMIN_PASSWORD refused: ${problem}`);
  }
  const password = fromEnv || generatePassword();
  try {
    await createUser(db, { name: 'admin', password, role: 'admin', createdBy: 'system' }, { source: 'system' });
  } catch (error) {
    // Another instance starting at the same moment created it first.
    if (error instanceof UserError && /already exists/.test(error.message)) return { created: false };
    throw error;
  }
  return fromEnv ? { created: true } : { created: true, generatedPassword: password };
}
