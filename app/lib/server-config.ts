// Server-only facts the pages show: where applications connect and which credential they use.

import { getDb } from '../../server/db.ts';
import { getNamespaceCredential } from '../../server/auth/index.ts';

export { zkConnectString } from '../../server/zk.ts';

export async function credentialUserFor(namespace: string): Promise<{ user: string; rotatedAt: string } | null> {
  const credential = await getNamespaceCredential(await getDb(), namespace);
  return credential === null ? null : { user: credential.user, rotatedAt: credential.rotatedAt.toISOString() };
}
