'use server';
// User administration for the users page. Each action re-checks that the caller is an admin: a server
// action is a public endpoint whatever page rendered the form.

import { revalidatePath } from 'next/cache';
import { createUser, resetPassword, ROLES, setDisabled, setGrants, setRole } from '../../../server/auth/index.ts';
import { getDb, type Role } from '../../../server/db.ts';
import { errorText } from '../../lib/server-errors.ts';
import { currentUser, isAdmin } from '../../lib/session.ts';

export interface ActionResult {
  ok: boolean;
  message: string;
}

async function asAdmin(): Promise<string> {
  const user = await currentUser();
  if (user === null || !isAdmin(user)) throw new Error('Only admins can manage users.');
  return user.name;
}

function roleOf(value: FormDataEntryValue | null): Role {
  const role = String(value ?? '');
  if (!(ROLES as readonly string[]).includes(role)) throw new Error(`Unknown role "${role}".`);
  return role as Role;
}

async function run(work: (by: string) => Promise<string>): Promise<ActionResult> {
  try {
    const message = await work(await asAdmin());
    revalidatePath('/users');
    return { ok: true, message };
  } catch (error) {
    return { ok: false, message: errorText(error) };
  }
}

const context = { source: 'ui' as const };

export async function createUserAction(_: ActionResult | null, form: FormData): Promise<ActionResult> {
  return run(async (by) => {
    const name = String(form.get('name') ?? '').trim();
    await createUser(await getDb(), { name, password: String(form.get('password') ?? ''), role: roleOf(form.get('role')), createdBy: by }, context);
    return `User ${name} created.`;
  });
}

export async function setRoleAction(name: string, role: string): Promise<ActionResult> {
  return run(async (by) => {
    await setRole(await getDb(), name, roleOf(role), by, context);
    return `${name} is now ${role}.`;
  });
}

/** Grants as "namespace=role" lines, e.g. "payments=editor". An empty text removes every grant. */
export async function setGrantsAction(name: string, text: string): Promise<ActionResult> {
  return run(async (by) => {
    const grants = new Map<string, Role>();
    for (const line of text.split(/[\n,]/).map((l) => l.trim()).filter((l) => l !== '')) {
      const [namespace, role] = line.split('=').map((part) => part.trim());
      if (!namespace || !role) throw new Error(`Write each grant as namespace=role, not "${line}".`);
      grants.set(namespace, roleOf(role));
    }
    await setGrants(await getDb(), name, grants, by, context);
    return grants.size === 0 ? `${name} has no namespace grants.` : `Grants of ${name} saved.`;
  });
}

export async function setDisabledAction(name: string, disabled: boolean): Promise<ActionResult> {
  return run(async (by) => {
    if (name === by && disabled) throw new Error('You cannot disable your own account.');
    await setDisabled(await getDb(), name, disabled, by, context);
    return `${name} is ${disabled ? 'disabled' : 'enabled'}.`;
  });
}

export async function resetPasswordAction(name: string, password: string): Promise<ActionResult> {
  return run(async (by) => {
    await resetPassword(await getDb(), name, password, by, context);
    return `Password of ${name} changed; their sessions have ended.`;
  });
}
