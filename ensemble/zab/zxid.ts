/** zxid = epoch << 32 | counter: the epoch names the leader that proposed it, the counter orders its proposals. */

export const COUNTER_MASK = 0xffffffffn;

export function makeZxid(epoch: bigint, counter: bigint | number): bigint {
  return (epoch << 32n) | (BigInt(counter) & COUNTER_MASK);
}

export function epochOf(zxid: bigint): bigint {
  return zxid >> 32n;
}

export function counterOf(zxid: bigint): bigint {
  return zxid & COUNTER_MASK;
}

export function formatZxid(zxid: bigint): string {
  return `0x${zxid.toString(16)}`;
}

export function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

export function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
