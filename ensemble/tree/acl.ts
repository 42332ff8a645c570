/**
 * ACL schemes (world, digest, auth, ip), the permission check, the create/setACL ACL fix-up and an ACL cache,
 * following ZooKeeper's ZooKeeperServer.checkACL, PrepRequestProcessor.fixupACL and the auth providers.
 */
import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { Perms } from '../jute/constants.ts';
import type { ACL, Id } from '../jute/records.ts';

export const OPEN_ACL_UNSAFE: readonly ACL[] = [{ perms: Perms.ALL, id: { scheme: 'world', id: 'anyone' } }];
export const READ_ACL_UNSAFE: readonly ACL[] = [{ perms: Perms.READ, id: { scheme: 'world', id: 'anyone' } }];

/** DigestAuthenticationProvider.generateDigest: "user:" + base64(sha1("user:password")). */
export function digestId(user: string, password: string): string {
  return `${user}:${createHash('sha1').update(`${user}:${password}`, 'utf8').digest('base64')}`;
}

/** Java's `s.split(":").length`: trailing empty strings are dropped, but "" splits to [""]. */
function javaSplitCount(s: string, sep: string): number {
  if (s.length === 0) return 1;
  const parts = s.split(sep);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.length;
}

// ---- ip scheme ----

function ipv4Bytes(addr: string): number[] | null {
  if (!isIPv4(addr)) return null;
  return addr.split('.').map(Number);
}

function ipv6Bytes(addr: string): number[] | null {
  if (!isIPv6(addr)) return null;
  let text = addr;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // An embedded dotted quad ("::ffff:1.2.3.4") becomes two hex groups.
  const dotted = text.lastIndexOf(':');
  const tail = text.slice(dotted + 1);
  if (tail.includes('.')) {
    const b = ipv4Bytes(tail);
    if (!b) return null;
    text = `${text.slice(0, dotted + 1)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = rest !== undefined && rest ? rest.split(':') : [];
  const fill = rest !== undefined ? 8 - headGroups.length - tailGroups.length : 0;
  const groups = [...headGroups, ...new Array<string>(fill).fill('0'), ...tailGroups];
  if (groups.length !== 8) return null;
  const out: number[] = [];
  for (const g of groups) {
    const v = parseInt(g, 16);
    out.push(v >> 8, v & 0xff);
  }
  return out;
}

function ipBytes(addr: string): number[] | null {
  return ipv4Bytes(addr) ?? ipv6Bytes(addr);
}

/** An ip ACL id: an address, optionally "/bits". ZooKeeper 3.8.0 accepts IPv4 only; we accept IPv6 too. */
function parseIpAcl(expr: string): { addr: number[]; bits: number } | null {
  const slash = expr.indexOf('/');
  const addr = ipBytes(slash < 0 ? expr : expr.slice(0, slash));
  if (!addr) return null;
  let bits = addr.length * 8;
  if (slash >= 0) {
    const text = expr.slice(slash + 1);
    if (!/^[+-]?\d+$/.test(text)) return null;
    bits = Number(text);
    if (bits < 0 || bits > addr.length * 8) return null;
  }
  return { addr, bits };
}

export function isValidIpAcl(expr: string): boolean {
  return parseIpAcl(expr) !== null;
}

/** Whether client address `remote` falls inside ip ACL `expr` (exact address or CIDR). */
export function ipMatches(remote: string, expr: string): boolean {
  const acl = parseIpAcl(expr);
  if (!acl) return false;
  const addr = ipBytes(remote);
  if (!addr || addr.length !== acl.addr.length) return false;
  let bits = acl.bits;
  for (let i = 0; i < addr.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((addr[i]! & mask) !== (acl.addr[i]! & mask)) return false;
  }
  return true;
}

// ---- providers ----

/** Schemes whose ids count as "authenticated" for the `auth` ACL scheme (ip does not). */
const AUTHENTICATED_SCHEMES = new Set(['digest', 'sasl', 'x509']);

function isValidId(id: Id): boolean {
  switch (id.scheme) {
    case 'digest':
      return javaSplitCount(id.id, ':') === 2;
    case 'ip':
      return isValidIpAcl(id.id);
    case 'sasl':
    case 'x509':
      return true;
    default:
      return false;
  }
}

function idMatches(scheme: string, authId: string, aclId: string): boolean {
  return scheme === 'ip' ? ipMatches(authId, aclId) : authId === aclId;
}

/** Whether `auth` includes the super identity (ZooKeeper adds Id("super","") on a super digest login). */
export function isSuper(auth: readonly Id[], superDigest: string | undefined): boolean {
  for (const a of auth) {
    if (a.scheme === 'super') return true;
    if (superDigest !== undefined && a.scheme === 'digest' && a.id === superDigest) return true;
  }
  return false;
}

/** ZooKeeperServer.checkACL: true when some entry grants any bit of `perm` to one of `auth`. */
export function checkAcl(acl: readonly ACL[], perm: number, auth: readonly Id[], superDigest?: string): boolean {
  if (acl.length === 0) return true;
  if (isSuper(auth, superDigest)) return true;
  for (const entry of acl) {
    if ((entry.perms & perm) === 0) continue;
    const { scheme, id } = entry.id;
    if (scheme === 'world' && id === 'anyone') return true;
    for (const a of auth) {
      if (a.scheme === scheme && idMatches(scheme, a.id, id)) return true;
    }
  }
  return false;
}

function sameAcl(a: ACL, b: ACL): boolean {
  return a.perms === b.perms && a.id.scheme === b.id.scheme && a.id.id === b.id.id;
}

/**
 * PrepRequestProcessor.fixupACL: dedupe, refuse empty lists and invalid ids, expand `auth` to the session's
 * authenticated ids. Returns null for INVALIDACL.
 */
export function fixupAcl(acl: readonly ACL[] | null | undefined, auth: readonly Id[]): ACL[] | null {
  if (!acl || acl.length === 0) return null;
  const unique: ACL[] = [];
  for (const a of acl) if (!unique.some((u) => sameAcl(u, a))) unique.push(a);
  const out: ACL[] = [];
  for (const a of unique) {
    const { scheme, id } = a.id;
    if (scheme === 'world' && id === 'anyone') {
      out.push({ perms: a.perms, id: { scheme, id } });
    } else if (scheme === 'auth') {
      let expanded = false;
      for (const who of auth) {
        if (!AUTHENTICATED_SCHEMES.has(who.scheme)) continue;
        expanded = true;
        out.push({ perms: a.perms, id: { scheme: who.scheme, id: who.id } });
      }
      if (!expanded) return null;
    } else if (isValidId(a.id)) {
      out.push({ perms: a.perms, id: { scheme, id } });
    } else {
      return null;
    }
  }
  return out;
}

/** getACL without ADMIN: digest ids are shown as "user:x" (CVE-2019-0201). */
export function maskDigests(acl: readonly ACL[]): ACL[] {
  return acl.map((a) => (a.id.scheme === 'digest' ? { perms: a.perms, id: { scheme: 'digest', id: a.id.id.replace(/:.*/, ':x') } } : a));
}

// ---- cache ----

/** One distinct ACL list, shared by every node that has it. */
export interface CachedAcl {
  readonly acl: readonly ACL[];
  readonly key: string;
  refs: number;
}

/** ZooKeeper's ReferenceCountedACLCache: a million nodes with the same ACL share one array. */
export class AclCache {
  private readonly byKey = new Map<string, CachedAcl>();

  static keyOf(acl: readonly ACL[]): string {
    return JSON.stringify(acl.map((a) => [a.perms, a.id.scheme, a.id.id]));
  }

  /** Takes a reference; release it with `release`. */
  intern(acl: readonly ACL[]): CachedAcl {
    const key = AclCache.keyOf(acl);
    let entry = this.byKey.get(key);
    if (!entry) {
      const frozen = Object.freeze(acl.map((a) => Object.freeze({ perms: a.perms, id: Object.freeze({ scheme: a.id.scheme, id: a.id.id }) })));
      entry = { acl: frozen, key, refs: 0 };
      this.byKey.set(key, entry);
    }
    entry.refs++;
    return entry;
  }

  /** Adds a reference to an entry already held. */
  retain(entry: CachedAcl): CachedAcl {
    entry.refs++;
    return entry;
  }

  release(entry: CachedAcl): void {
    if (--entry.refs <= 0) this.byKey.delete(entry.key);
  }

  get size(): number {
    return this.byKey.size;
  }

  entries(): IterableIterator<CachedAcl> {
    return this.byKey.values();
  }
}
