// The config center's own ZooKeeper identity (digest scheme). Every admin instance and the recorder
// must share it, so it comes from ZK_AUTH ("user:password") or is generated once into the data
// directory with mode 0600, like NEXTAUTH_SECRET.

import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Perms, type ACL } from '../../ensemble/client/index.ts';
import { zkDigest } from '../auth/namespace-credentials.ts';

export const IDENTITY_FILE = 'zk-identity';
export const DEFAULT_IDENTITY_USER = 'config-center';

export interface ZkIdentity {
  user: string;
  password: string;
}

function parseIdentity(text: string, origin: string): ZkIdentity {
  const colon = text.indexOf(':');
  const user = text.slice(0, colon);
  const password = text.slice(colon + 1);
  if (colon <= 0 || password.length < 16) throw new Error(`${origin} must be "user:password" with a password of at least 16 characters`);
  return { user, password };
}

export function loadOrCreateZkIdentity(dataDir: string, env: NodeJS.ProcessEnv = process.env): ZkIdentity {
  const fromEnv = env.ZK_AUTH?.trim();
  if (fromEnv) return parseIdentity(fromEnv, 'ZK_AUTH');
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, IDENTITY_FILE);
  const generated = `${DEFAULT_IDENTITY_USER}:${randomBytes(24).toString('base64url')}\n`;
  try {
    writeFileSync(file, generated, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  }
  return parseIdentity(readFileSync(file, 'utf8').trim(), file);
}

/** The `auth` option of a ZkClient that authenticates as this identity. */
export function identityAuth(identity: ZkIdentity): Array<{ scheme: string; auth: string }> {
  return [{ scheme: 'digest', auth: `${identity.user}:${identity.password}` }];
}

/** ACLs for config znodes: the config center may do everything, the namespace's subscribers may read, nobody else anything. */
export function configAcl(identity: ZkIdentity, namespaceReader: { user: string; digest: string } | null): ACL[] {
  const acl: ACL[] = [{ perms: Perms.ALL, id: { scheme: 'digest', id: `${identity.user}:${zkDigest(identity.user, identity.password)}` } }];
  if (namespaceReader !== null) acl.push({ perms: Perms.READ, id: { scheme: 'digest', id: `${namespaceReader.user}:${namespaceReader.digest}` } });
  return acl;
}
