// Who is calling: a bearer API token, or a next-auth session (a JWT in an HttpOnly cookie). The
// principal is re-read from the database on every request, so disabling a user or changing a role
// applies at once; a session issued before the user's password or role changed is refused.

import type { NextAuthOptions } from 'next-auth';
import CredentialsImport, { type CredentialsProvider as CredentialsFactory } from 'next-auth/providers/credentials';
import { getToken } from 'next-auth/jwt';
import { dataDir, getDb } from '../db.ts';
import { authenticateUser, loadOrCreateAuthSecret, loadUserPrincipal, verifyApiToken, type Principal } from '../auth/index.ts';
import { unauthorized } from './errors.ts';
import { checkSameOrigin } from './same-origin.ts';

// A CommonJS module: bundlers hand over the function, Node's ESM loader (tsx, tests) the exports object.
const CredentialsProvider = ((CredentialsImport as unknown as { default?: unknown }).default ?? CredentialsImport) as CredentialsFactory;

export const SESSION_MAX_AGE_SECONDS = 8 * 60 * 60;

export function authSecret(): string {
  return loadOrCreateAuthSecret(dataDir());
}

function headerOf(headers: unknown, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = (headers as Record<string, string | string[] | undefined> | undefined)?.[name];
  return Array.isArray(value) ? value[0] : value;
}

/** next-auth's configuration: username/password login, JWT sessions. Built per call so the secret is read at run time, not build time. */
export function authOptions(): NextAuthOptions {
  return {
    secret: authSecret(),
    session: { strategy: 'jwt', maxAge: SESSION_MAX_AGE_SECONDS },
    pages: { signIn: '/login' },
    providers: [
      CredentialsProvider({
        name: 'Password',
        credentials: { username: { label: 'User', type: 'text' }, password: { label: 'Password', type: 'password' } },
        async authorize(credentials, req) {
          const name = credentials?.username ?? '';
          const password = credentials?.password ?? '';
          if (name === '' || password === '') return null;
          const ip = headerOf(req?.headers, 'x-forwarded-for')?.split(',')[0]?.trim() || 'local';
          const db = await getDb();
          const result = await authenticateUser(db, { name, password, ip }, { source: 'ui', clientIp: ip });
          if (result.ok) return { id: result.principal.name, name: result.principal.name };
          if (result.reason === 'locked') throw new Error(`too many failed logins; retry in ${result.retryAfterSeconds} s`);
          return null;
        },
      }),
    ],
    callbacks: {
      session({ session, token }) {
        // The role shown to the browser is informational; every API call re-reads it from the database.
        return { ...session, user: { name: token.name ?? null } };
      },
    },
  };
}

export interface Caller {
  principal: Principal;
  /** 'api' for bearer tokens, 'ui' for browser sessions: the audit source of their changes. */
  source: 'api' | 'ui';
}

/** The caller, or a 401. Session-authenticated mutating requests must also pass the same-origin check. */
export async function authenticate(request: Request): Promise<Caller> {
  const authorization = request.headers.get('authorization');
  const db = await getDb();
  if (authorization !== null) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match === null) throw unauthorized('Authorization must be "Bearer <api token>"');
    const principal = await verifyApiToken(db, match[1]!);
    if (principal === null) throw unauthorized('unknown or revoked API token');
    return { principal, source: 'api' };
  }
  // getToken reads next-auth's session cookie (either name, chunked or not) and verifies it.
  const cookieHeader = request.headers.get('cookie') ?? '';
  const secure = cookieHeader.includes('__Secure-next-auth.session-token');
  const token = await getToken({ req: request as never, secret: authSecret(), secureCookie: secure });
  const name = typeof token?.name === 'string' ? token.name : typeof token?.sub === 'string' ? token.sub : null;
  if (token === null || name === null) throw unauthorized();
  const principal = await loadUserPrincipal(db, name);
  if (principal === null) throw unauthorized('this account is disabled or no longer exists');
  const row = await db.user.findUnique({ where: { name }, select: { passwordChangedAt: true } });
  const changedAt = row?.passwordChangedAt?.getTime() ?? null;
  const issuedAt = typeof token.iat === 'number' ? token.iat * 1000 : null;
  if (changedAt !== null && issuedAt !== null && issuedAt < changedAt - 1000) throw unauthorized('your session ended when your password or role changed; sign in again');
  checkSameOrigin(request);
  return { principal, source: 'ui' };
}
