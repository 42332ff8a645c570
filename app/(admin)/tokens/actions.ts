'use server';
// API tokens for automation. The token itself is returned once, to the admin who created it.

import { revalidatePath } from 'next/cache';
import { createApiToken, revokeApiToken, ROLES } from '../../../server/auth/index.ts';
import { getDb, type Role } from '../../../server/db.ts';
import { errorText } from '../../lib/server-errors.ts';
import { currentUser, isAdmin } from '../../lib/session.ts';

export interface TokenResult {
  ok: boolean;
  message: string;
  token?: string;
}

async function asAdmin(): Promise<string> {
  const user = await currentUser();
  if (user === null || !isAdmin(user)) throw new Error('Only admins can manage API tokens.');
  return user.name;
}

export async function createTokenAction(_: TokenResult | null, form: FormData): Promise<TokenResult> {
  try {
    const by = await asAdmin();
    const name = String(form.get('name') ?? '').trim();
    if (name === '') throw new Error('Give the token a name that says what uses it.');
    const role = String(form.get('role') ?? '');
    if (!(ROLES as readonly string[]).includes(role)) throw new Error(`Unknown role "${role}".`);
    const namespaces = String(form.get('namespaces') ?? '')
      .split(/[\s,]+/)
      .filter((n) => n !== '');
    const created = await createApiToken(
      await getDb(),
      { name, role: role as Role, namespaces: namespaces.length === 0 ? null : namespaces, createdBy: by },
      { source: 'ui' },
    );
    revalidatePath('/tokens');
    return { ok: true, message: `Token "${name}" created. Copy it now: it is not shown again.`, token: created.token };
  } catch (error) {
    return { ok: false, message: errorText(error) };
  }
}

export async function revokeTokenAction(id: number): Promise<TokenResult> {
  try {
    const by = await asAdmin();
    const revoked = await revokeApiToken(await getDb(), id, by, { source: 'ui' });
    revalidatePath('/tokens');
    return revoked ? { ok: true, message: 'Token revoked.' } : { ok: false, message: 'That token was already revoked.' };
  } catch (error) {
    return { ok: false, message: errorText(error) };
  }
}
