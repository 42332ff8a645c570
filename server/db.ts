// The config center's SQLite database: where it lives, bringing its schema up to date, and one
// Prisma client per process (kept on globalThis so Next.js dev hot reloads do not open a new one each time).

/** Only the variables we read: a plain object in tests, `process.env` otherwise. */
type Env = Record<string, string | undefined>;
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaClient } from '../prisma/generated/client/client.ts';
import { migrate } from '../prisma/migrate.ts';

export type Db = PrismaClient;
export { Prisma } from '../prisma/generated/client/client.ts';
export type { Role, ActorType, AuditSource, AuditAction, AuditStatus } from '../prisma/generated/client/enums.ts';

export const DEFAULT_DATABASE_URL = 'file:./data/audit.db';

export function databaseUrl(env: Env = process.env): string {
  const url = env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL;
  if (!url.startsWith('file:')) throw new Error(`DATABASE_URL must be a SQLite file: URL, got ${JSON.stringify(url)}`);
  return url;
}

/** The filesystem path of a file: URL, resolved against the working directory like SQLite does. */
export function databasePath(url: string): string {
  return resolve(url.slice('file:'.length).replace(/\?.*$/, ''));
}

/** The folder holding the database; secrets generated at first start (NEXTAUTH_SECRET) live next to it. */
export function dataDir(url: string = databaseUrl()): string {
  return dirname(databasePath(url));
}

/** Creates the folder, applies pending migrations and returns a connected client the caller owns. */
export async function openDatabase(url: string = databaseUrl()): Promise<Db> {
  const path = databasePath(url);
  mkdirSync(dirname(path), { recursive: true });
  await migrate(`file:${path}`);
  // Writers from several processes (admin instances, the recorder) wait for the lock instead of failing.
  const adapter = new PrismaBetterSqlite3({ url: `file:${path}`, timeout: 10_000 });
  return new PrismaClient({ adapter });
}

const shared = globalThis as typeof globalThis & { __configCenterDb?: Promise<Db> };

/** The process-wide client, opened (and migrated) on first use. */
export function getDb(): Promise<Db> {
  if (shared.__configCenterDb === undefined) {
    shared.__configCenterDb = openDatabase().catch((error: unknown) => {
      shared.__configCenterDb = undefined;
      throw error;
    });
  }
  return shared.__configCenterDb;
}

/** True when a Prisma error is a unique-constraint violation (P2002). */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'P2002';
}
