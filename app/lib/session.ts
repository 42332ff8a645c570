// Server-side session check for pages. Every page calls requireUser() before rendering: no session →
// /login. The role is re-read from the database on each request so a demotion or a disabled account
// takes effect on the next page load, not when the JWT expires.

import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { decode } from 'next-auth/jwt';
import { dataDir, getDb } from '../../server/db.ts';
import { instanceRole, loadOrCreateAuthSecret, loadUserPrincipal, roleIn, type UserPrincipal } from '../../server/auth/index.ts';
import type { Role, SessionUser } from './types.ts';

/** next-auth's cookie names: the __Secure- one is used when the admin is served over https. */
const SESSION_COOKIES = ['__Secure-next-auth.session-token', 'next-auth.session-token'];

interface SessionClaims {
  name: string;
  /** Seconds since the epoch, when the JWT was issued. */
  issuedAt: number | null;
}

async function sessionClaims(): Promise<SessionClaims | null> {
  const jar = await cookies();
  for (const name of SESSION_COOKIES) {
    // next-auth splits large JWTs into name.0, name.1, ...
    let token = jar.get(name)?.value;
    if (token === undefined) {
      const chunks = jar.getAll().filter((c) => c.name.startsWith(`${name}.`));
      if (chunks.length > 0) {
        token = chunks
          .sort((a, b) => Number(a.name.slice(name.length + 1)) - Number(b.name.slice(name.length + 1)))
          .map((c) => c.value)
          .join('');
      }
    }
    if (token === undefined) continue;
    try {
      const payload = await decode({ token, secret: loadOrCreateAuthSecret(dataDir()) });
      const user = payload?.name ?? payload?.sub;
      const issuedAt = typeof payload?.iat === 'number' ? payload.iat : null;
      if (typeof user === 'string' && user !== '') return { name: user, issuedAt };
    } catch {
      // A token signed with another secret or tampered with is simply no session.
    }
  }
  return null;
}

export interface PageUser extends SessionUser {
  principal: UserPrincipal;
}

export async function currentUser(): Promise<PageUser | null> {
  const claims = await sessionClaims();
  if (claims === null) return null;
  const db = await getDb();
  const principal = await loadUserPrincipal(db, claims.name);
  if (principal === null) return null;
  // A password reset or role change ends the sessions issued before it.
  const row = await db.user.findUnique({ where: { name: claims.name }, select: { passwordChangedAt: true } });
  const changedAt = row?.passwordChangedAt?.getTime() ?? null;
  if (changedAt !== null && claims.issuedAt !== null && claims.issuedAt * 1000 < changedAt - 1000) return null;
  return { name: principal.name, role: principal.role, grants: Object.fromEntries(principal.grants), principal };
}

export async function requireUser(): Promise<PageUser> {
  const user = await currentUser();
  if (user === null) redirect('/login');
  return user;
}

/** Pages only admins may see send everyone else back to the dashboard. */
export async function requireAdmin(): Promise<PageUser> {
  const user = await requireUser();
  if (instanceRole(user.principal) !== 'admin') redirect('/');
  return user;
}

export function namespaceRole(user: PageUser, namespace: string): Role | null {
  return roleIn(user.principal, namespace);
}

export function canEdit(user: PageUser, namespace: string): boolean {
  const role = namespaceRole(user, namespace);
  return role === 'editor' || role === 'admin';
}

export function isAdmin(user: PageUser): boolean {
  return instanceRole(user.principal) === 'admin';
}

/** Client components get the plain user, not the principal object with its Map. */
export function publicUser(user: PageUser): SessionUser {
  return { name: user.name, role: user.role, grants: user.grants };
}
