/** ZooDefs.Ids' well-known ACLs and the digest scheme's id format. */
import { createHash } from 'node:crypto';
import { Perms } from '../jute/constants.ts';
import type { ACL } from '../jute/records.ts';

export const ANYONE_ID_UNSAFE = { scheme: 'world', id: 'anyone' } as const;
export const AUTH_IDS = { scheme: 'auth', id: '' } as const;

export const OPEN_ACL_UNSAFE: ACL[] = [{ perms: Perms.ALL, id: { ...ANYONE_ID_UNSAFE } }];
export const READ_ACL_UNSAFE: ACL[] = [{ perms: Perms.READ, id: { ...ANYONE_ID_UNSAFE } }];
/** All permissions for whoever the session is authenticated as (the server substitutes the ids). */
export const CREATOR_ALL_ACL: ACL[] = [{ perms: Perms.ALL, id: { ...AUTH_IDS } }];

/** DigestAuthenticationProvider.generateDigest: "user:" + base64(sha1("user:password")). */
export function digestId(user: string, password: string): string {
  const hash = createHash('sha1').update(`${user}:${password}`, 'utf8').digest('base64');
  return `${user}:${hash}`;
}

export function digestAcl(user: string, password: string, perms: number = Perms.ALL): ACL {
  return { perms, id: { scheme: 'digest', id: digestId(user, password) } };
}
