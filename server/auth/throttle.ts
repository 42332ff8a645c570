// Login throttling shared by every admin instance (state lives in SQLite, not in memory):
// MAX_FAILURES failed logins for one user from one IP within WINDOW lock that pair for LOCK time;
// a looser per-IP limit slows password spraying across many user names.

import type { Db } from '../db.ts';

export interface ThrottlePolicy {
  maxFailures: number;
  windowMs: number;
  lockMs: number;
}

export const USER_IP_POLICY: ThrottlePolicy = { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };
export const IP_POLICY: ThrottlePolicy = { maxFailures: 50, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };

export function throttleKeys(userName: string, ip: string): Array<{ key: string; policy: ThrottlePolicy }> {
  return [
    { key: `user:${userName.toLowerCase()}|ip:${ip}`, policy: USER_IP_POLICY },
    { key: `ip:${ip}`, policy: IP_POLICY },
  ];
}

/** Seconds until a login may be tried again, or 0 when it may be tried now. */
export async function retryAfterSeconds(db: Db, userName: string, ip: string, now: Date = new Date()): Promise<number> {
  const rows = await db.loginThrottle.findMany({ where: { key: { in: throttleKeys(userName, ip).map((k) => k.key) } } });
  let waitMs = 0;
  for (const row of rows) {
    if (row.lockedUntil !== null) waitMs = Math.max(waitMs, row.lockedUntil.getTime() - now.getTime());
  }
  return waitMs > 0 ? Math.ceil(waitMs / 1000) : 0;
}

export async function recordFailure(db: Db, userName: string, ip: string, now: Date = new Date()): Promise<void> {
  await db.$transaction(async (tx) => {
    for (const { key, policy } of throttleKeys(userName, ip)) {
      const row = await tx.loginThrottle.findUnique({ where: { key } });
      const windowOpen = row !== null && now.getTime() - row.windowStart.getTime() < policy.windowMs;
      const failures = windowOpen ? row.failures + 1 : 1;
      const windowStart = windowOpen ? row.windowStart : now;
      const lockedUntil = failures >= policy.maxFailures ? new Date(now.getTime() + policy.lockMs) : null;
      await tx.loginThrottle.upsert({
        where: { key },
        create: { key, failures, windowStart, lockedUntil },
        update: { failures, windowStart, lockedUntil },
      });
    }
  });
}

/** A successful login clears the user+IP counter; the per-IP one keeps counting until its window ends. */
export async function recordSuccess(db: Db, userName: string, ip: string): Promise<void> {
  const [userKey] = throttleKeys(userName, ip);
  await db.loginThrottle.deleteMany({ where: { key: userKey!.key } });
}

/** Drops counters whose window and lock are both over, so the table does not grow without bound. */
export async function pruneThrottle(db: Db, now: Date = new Date()): Promise<number> {
  const longest = Math.max(USER_IP_POLICY.windowMs, IP_POLICY.windowMs);
  const { count } = await db.loginThrottle.deleteMany({
    where: {
      windowStart: { lt: new Date(now.getTime() - longest) },
      OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }],
    },
  });
  return count;
}
