// Applies the SQL migrations in prisma/migrations at start-up. `prisma migrate deploy` would do this,
// but it needs a schema-engine binary that cannot be downloaded here. The bookkeeping table is
// Prisma's own `_prisma_migrations` (same columns, same SHA-256 checksum of migration.sql), so a
// database built by this migrator is one `prisma migrate deploy` recognises, and vice versa.

import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

type SqlAdapter = Awaited<ReturnType<PrismaBetterSqlite3['connect']>>;

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

const BOOKKEEPING_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql, 'utf8').digest('hex');
}

/** Migration folders in name order; the timestamp prefix makes name order the order of creation. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: checksumOf(sql) };
    });
}

const text = { scalarType: 'string', arity: 'scalar' } as const;

interface AppliedRow {
  name: string;
  checksum: string;
  finished: boolean;
}

async function appliedMigrations(db: SqlAdapter): Promise<AppliedRow[]> {
  const result = await db.queryRaw({
    sql: 'SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL ORDER BY migration_name',
    args: [],
    argTypes: [],
  });
  return result.rows.map((row) => ({ name: String(row[0]), checksum: String(row[1]), finished: row[2] !== null }));
}

/** Refuses every state in which applying more SQL could corrupt data or hide a mistake. */
function planMigrations(available: Migration[], applied: AppliedRow[]): Migration[] {
  const byName = new Map(available.map((m) => [m.name, m]));
  for (const row of applied) {
    if (!row.finished) {
      throw new MigrationError(
        `migration ${row.name} started but never finished; inspect the database, then mark it rolled back in _prisma_migrations`,
      );
    }
    const local = byName.get(row.name);
    if (local === undefined) {
      throw new MigrationError(
        `the database has migration ${row.name}, which this code does not know: it was built by a newer version`,
      );
    }
    if (local.checksum !== row.checksum) {
      throw new MigrationError(
        `migration ${row.name} was changed after it was applied (checksum ${row.checksum.slice(0, 12)}… in the database, ` +
          `${local.checksum.slice(0, 12)}… on disk); add a new migration instead of editing an applied one`,
      );
    }
  }
  const appliedNames = new Set(applied.map((row) => row.name));
  return available.filter((m) => !appliedNames.has(m.name));
}

/**
 * Brings the SQLite database at `url` (file:... or a path) up to date. Several admin instances may
 * start at once: the whole run holds SQLite's write lock (BEGIN IMMEDIATE), so one applies and the
 * others then find nothing to do. SQLite DDL is transactional, so a failing migration leaves nothing behind.
 */
export async function migrate(url: string, options: { dir?: string } = {}): Promise<MigrateResult> {
  const available = loadMigrations(options.dir);
  const db = await new PrismaBetterSqlite3({ url, timeout: 15_000 }).connect();
  try {
    // WAL lets readers (the audit UI) run while the recorder writes; it is a property of the file.
    await db.executeScript('PRAGMA journal_mode = WAL');
    await db.executeScript('BEGIN IMMEDIATE');
    try {
      await db.executeScript(BOOKKEEPING_TABLE);
      const pending = planMigrations(available, await appliedMigrations(db));
      for (const migration of pending) {
        await db.executeScript(migration.sql);
        await db.executeRaw({
          sql: `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
                VALUES (?, ?, ?, strftime('%s','now') * 1000, strftime('%s','now') * 1000, 1)`,
          args: [randomUUID(), migration.checksum, migration.name],
          argTypes: [text, text, text],
        });
      }
      await db.executeScript('COMMIT');
      return {
        applied: pending.map((m) => m.name),
        alreadyApplied: available.filter((m) => !pending.includes(m)).map((m) => m.name),
      };
    } catch (error) {
      await db.executeScript('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } finally {
    await db.dispose();
  }
}
