// Headless administration: `npm run admin -- <command>`.
//   create-user <name> --role admin|editor|viewer [--password-stdin]   (otherwise a password is generated and printed once)
//   create-token <name> --role admin|editor|viewer [--namespaces a,b]  (prints the token once)
//   reset-password <name> [--password-stdin]
//   init                                                                (first start: create `admin` if there are no users)
// Uses DATABASE_URL (default file:./data/audit.db) and applies pending migrations first.

import { parseArgs } from 'node:util';
import { text } from 'node:stream/consumers';
import { openDatabase, type Db, type Role } from './db.ts';
import { ROLES, UserError, createApiToken, createUser, ensureInitialAdmin, generatePassword, resetPassword } from './auth/index.ts';

const USAGE = `usage: npm run admin -- <command>
  create-user <name> --role admin|editor|viewer [--password-stdin]
  create-token <name> --role admin|editor|viewer [--namespaces a,b]
  reset-password <name> [--password-stdin]
  init`;

const ACTOR = `cli:${process.env.USER ?? 'unknown'}`;
const NAMESPACE = /^[A-Za-z0-9._-]{1,128}$/;

class UsageError extends Error {}

function roleOf(value: string | undefined): Role {
  if (value === undefined || !(ROLES as readonly string[]).includes(value)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  return value as Role;
}

/** The password from stdin (first line, so `echo pw | ...` works), or a generated one the caller prints. */
async function passwordFrom(usesStdin: boolean): Promise<{ password: string; generated: boolean }> {
  if (!usesStdin) return { password: generatePassword(), generated: true };
  const password = (await text(process.stdin)).split(/\r?\n/)[0] ?? '';
  if (password === '') throw new UsageError('--password-stdin: nothing on stdin');
  return { password, generated: false };
}

async function run(db: Db, argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { role: { type: 'string' }, namespaces: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
  });
  const [command, name] = positionals;
  const context = { source: 'system' as const };
  switch (command) {
    case 'create-user': {
      if (name === undefined) throw new UsageError('create-user needs a name');
      const role = roleOf(values.role);
      const { password, generated } = await passwordFrom(values['password-stdin'] === true);
      await createUser(db, { name, password, role, createdBy: ACTOR }, context);
      console.log(`created user ${name} (${role})`);
      if (generated) console.log(`password (shown once): ${password}`);
      return;
    }
    case 'create-token': {
      if (name === undefined) throw new UsageError('create-token needs a name');
      const role = roleOf(values.role);
      const namespaces = values.namespaces?.split(',').map((ns) => ns.trim()).filter((ns) => ns !== '');
      for (const ns of namespaces ?? []) if (!NAMESPACE.test(ns) || ns.includes('..')) throw new UsageError(`invalid namespace ${JSON.stringify(ns)}`);
      const created = await createApiToken(db, { name, role, namespaces: namespaces?.length ? namespaces : null, createdBy: ACTOR }, context);
      console.log(`created token ${name} (${role}, namespaces: ${namespaces?.join(',') || 'all'})`);
      console.log(`token (shown once): ${created.token}`);
      return;
    }
    case 'reset-password': {
      if (name === undefined) throw new UsageError('reset-password needs a name');
      const { password, generated } = await passwordFrom(values['password-stdin'] === true);
      await resetPassword(db, name, password, ACTOR, context);
      console.log(`password of ${name} reset`);
      if (generated) console.log(`password (shown once): ${password}`);
      return;
    }
    case 'init': {
      const result = await ensureInitialAdmin(db);
      if (!result.created) console.log('users exist already; nothing to do');
      else if (result.generatedPassword) console.log(`created user admin; password (shown once): ${result.generatedPassword}`);
      else console.log('created user admin with ADMIN_PASSWORD');
      return;
    }
    default:
      throw new UsageError(command === undefined ? 'no command' : `unknown command ${command}`);
  }
}

const db = await openDatabase();
try {
  await run(db, process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) console.error(`${error.message}\n${USAGE}`);
  else if (error instanceof UserError || (error instanceof Error && error.name === 'TypeError')) console.error(error.message);
  else throw error;
  process.exitCode = error instanceof UsageError ? 2 : 1;
} finally {
  await db.$disconnect();
}
