// NEXTAUTH_SECRET signs session JWTs. It comes from the environment, or is generated once and kept in
// the data directory with mode 0600 so every instance sharing that directory agrees; there is no
// default in the code because a default secret lets anyone forge sessions.

/** Only the variables we read: a plain object in tests, `process.env` otherwise. */
type Env = Record<string, string | undefined>;
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SECRET_FILE = 'nextauth.secret';
const MIN_SECRET_LENGTH = 32;

export function loadOrCreateAuthSecret(dataDir: string, env: Env = process.env): string {
  const fromEnv = env.NEXTAUTH_SECRET?.trim();
  if (fromEnv) {
    if (fromEnv.length < MIN_SECRET_LENGTH) throw new Error(`NEXTAUTH_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
    return fromEnv;
  }
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, SECRET_FILE);
  try {
    writeFileSync(file, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Written by an earlier start or a concurrent instance; tighten it if someone loosened the mode.
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  }
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < MIN_SECRET_LENGTH) throw new Error(`${file} holds a secret shorter than ${MIN_SECRET_LENGTH} characters`);
  return secret;
}
