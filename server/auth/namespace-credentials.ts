// Each namespace's read-only ZooKeeper identity for SDK subscribers. ZooKeeper's digest scheme only
// needs base64(SHA-1("user:password")) in the znode ACL, so that digest is all we keep: the password is
// returned once on creation or rotation (like an API token) and is never stored, encrypted or not.

import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db.ts';

/** ZooKeeper's DigestAuthenticationProvider.generateDigest: "user:" + base64(sha1("user:password")). */
export function zkDigest(user: string, password: string): string {
  return createHash('sha1').update(`${user}:${password}`, 'utf8').digest('base64');
}

export function namespaceCredentialUser(namespace: string): string {
  return `ns-${namespace}`;
}

export interface IssuedCredential {
  namespace: string;
  user: string;
  /** Show once: applications put "user:password" in their digest auth. */
  password: string;
  /** For the ACL: digest:<user>:<digest>:r */
  digest: string;
}

/** Creates or replaces a namespace's credential. The caller then sets the ACLs with the new digest. */
export async function rotateNamespaceCredential(db: Db, namespace: string, by: string): Promise<IssuedCredential> {
  const user = namespaceCredentialUser(namespace);
  const password = randomBytes(24).toString('base64url');
  const digest = zkDigest(user, password);
  const now = new Date();
  await db.namespaceCredential.upsert({
    where: { namespace },
    create: { namespace, user, digest, createdBy: by, createdAt: now, rotatedAt: now },
    update: { user, digest, rotatedAt: now },
  });
  return { namespace, user, password, digest };
}

export async function getNamespaceCredential(db: Db, namespace: string): Promise<{ user: string; digest: string; rotatedAt: Date } | null> {
  const row = await db.namespaceCredential.findUnique({ where: { namespace } });
  return row === null ? null : { user: row.user, digest: row.digest, rotatedAt: row.rotatedAt };
}
