/**
 * ZooKeeper's EphemeralType: how a node's stored ephemeralOwner encodes its kind.
 * Containers and TTL nodes keep their encoding internally (and in snapshots) but show ephemeralOwner 0 to clients.
 */

export const CONTAINER_EPHEMERAL_OWNER = -0x8000000000000000n; // Long.MIN_VALUE
const EXTENDED_MASK = -0x100000000000000n; // 0xff00000000000000 as a signed long
/** The largest ttl ZooKeeper accepts, in ms (about 34 years). */
export const MAX_TTL = 0xffffffffffn;

export type NodeKind = 'persistent' | 'ephemeral' | 'container' | 'ttl';

export function isValidTtl(ttl: bigint): boolean {
  return ttl > 0n && ttl <= MAX_TTL;
}

export function ttlOwner(ttl: bigint): bigint {
  return EXTENDED_MASK | ttl;
}

/** The kind encoded in a stored ephemeralOwner; TTL encodings count only when extended types are enabled. */
export function kindOf(owner: bigint, extendedTypesEnabled: boolean): NodeKind {
  if (owner === 0n) return 'persistent';
  if (owner === CONTAINER_EPHEMERAL_OWNER) return 'container';
  if (extendedTypesEnabled && (owner & EXTENDED_MASK) === EXTENDED_MASK) return 'ttl';
  return 'ephemeral';
}

export function ttlOf(owner: bigint): bigint {
  return owner & MAX_TTL;
}

/** CreateMode flags → what ZooKeeper's CreateMode.fromFlag knows about them; null for unknown flags. */
export function createModeOf(flags: number): { ephemeral: boolean; sequential: boolean; container: boolean; ttl: boolean } | null {
  switch (flags) {
    case 0:
      return { ephemeral: false, sequential: false, container: false, ttl: false };
    case 1:
      return { ephemeral: true, sequential: false, container: false, ttl: false };
    case 2:
      return { ephemeral: false, sequential: true, container: false, ttl: false };
    case 3:
      return { ephemeral: true, sequential: true, container: false, ttl: false };
    case 4:
      return { ephemeral: false, sequential: false, container: true, ttl: false };
    case 5:
      return { ephemeral: false, sequential: false, container: false, ttl: true };
    case 6:
      return { ephemeral: false, sequential: true, container: false, ttl: true };
    default:
      return null;
  }
}
