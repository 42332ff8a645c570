/** The auth schemes a client may add with an auth packet (xid -4): ZooKeeper's digest and ip providers. */
import crypto from 'node:crypto';
import type { ClientInfo, Id } from '../jute/records.ts';

/**
 * DigestAuthenticationProvider.generateDigest: `user:base64(sha1("user:password"))`, hashing the bytes as sent
 * (a credential without ':' still works: the whole string is the user).
 */
export function digestOf(credential: Buffer): string {
  const text = credential.toString('utf8');
  const user = text.split(':', 1)[0] ?? '';
  const hash = crypto.createHash('sha1').update(credential).digest('base64');
  return `${user}:${hash}`;
}

/** The id an auth packet adds to a connection, or null when the scheme is unknown (AUTHFAILED). */
export function authenticate(scheme: string, credential: Buffer | null, peerIp: string): Id | null {
  switch (scheme) {
    case 'digest':
      return { scheme: 'digest', id: digestOf(credential ?? Buffer.alloc(0)) };
    case 'ip':
      return { scheme: 'ip', id: peerIp };
    default:
      return null;
  }
}

/** whoAmI's view of an id: digest shows only the user name, as ZooKeeper does. */
export function clientInfoOf(id: Id): ClientInfo {
  return { authScheme: id.scheme, user: id.scheme === 'digest' ? (id.id.split(':', 1)[0] ?? '') : id.id };
}
