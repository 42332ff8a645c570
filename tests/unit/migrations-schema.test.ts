// The SQL migrations are written by hand (prisma migrate cannot run here), so this is what keeps them
// honest: a database built from them must have exactly the tables, columns, indexes and foreign keys the
// Prisma models describe, and the migrator must be idempotent and refuse edited or unknown migrations.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { getDmmf, type Dmmf } from '../../prisma/dmmf.ts';
import { MIGRATIONS_DIR, MigrationError, checksumOf, loadMigrations, migrate } from '../../prisma/migrate.ts';
import { Prisma } from '../../server/db.ts';
import { execFile } from 'node:child_process';

function runMigrateCli(path: string): Promise<string> {
  const cli = new URL('../../prisma/migrate-cli.ts', import.meta.url).pathname;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', cli, `file:${path}`], { timeout: 30_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

const SCHEMA_PATH = new URL('../../prisma/schema.prisma', import.meta.url);
const SQLITE_TYPE: Record<string, string> = {
  String: 'TEXT', Int: 'INTEGER', BigInt: 'BIGINT', Boolean: 'BOOLEAN', DateTime: 'DATETIME', Float: 'REAL', Decimal: 'DECIMAL', Bytes: 'BLOB', Json: 'JSONB',
};

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'migrations-test-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function query(url: string, sql: string): Promise<unknown[][]> {
  const db = await new PrismaBetterSqlite3({ url }).connect();
  try {
    return (await db.queryRaw({ sql, args: [], argTypes: [] })).rows;
  } finally {
    await db.dispose();
  }
}

async function exec(url: string, sql: string): Promise<void> {
  const db = await new PrismaBetterSqlite3({ url }).connect();
  try {
    await db.executeScript(sql);
  } finally {
    await db.dispose();
  }
}

/** A sorted, comparable description of a schema: one line per table, column, index and foreign key. */
function describeModels(dmmf: Dmmf): string[] {
  const lines: string[] = [];
  const tableOf = new Map(dmmf.datamodel.models.map((m) => [m.name, m.dbName ?? m.name]));
  for (const model of dmmf.datamodel.models) {
    const table = tableOf.get(model.name)!;
    const columnOf = new Map(model.fields.map((f) => [f.name, f.dbName ?? f.name]));
    lines.push(`table ${table}`);
    for (const field of model.fields) {
      if (field.kind === 'object') {
        if (field.relationFromFields?.length) {
          const target = dmmf.datamodel.models.find((m) => m.name === field.type)!;
          const targetColumns = field.relationToFields!.map((name) => target.fields.find((f) => f.name === name)!.dbName ?? name);
          lines.push(`fk ${table}(${field.relationFromFields.map((n) => columnOf.get(n)).join(',')}) -> ${tableOf.get(field.type)}(${targetColumns.join(',')}) on delete ${(field.relationOnDelete ?? 'restrict').toLowerCase()}`);
        }
        continue;
      }
      const type = field.kind === 'enum' ? 'TEXT' : SQLITE_TYPE[field.type];
      lines.push(`column ${table}.${columnOf.get(field.name)} ${type} ${field.isRequired ? 'not null' : 'null'}${field.isId ? ' pk' : ''}`);
    }
    for (const index of dmmf.datamodel.indexes.filter((i) => i.model === model.name && i.type !== 'id')) {
      lines.push(`${index.type === 'unique' ? 'unique' : 'index'} ${table}(${index.fields.map((f) => columnOf.get(f.name)).join(',')})`);
    }
  }
  return lines.sort();
}

async function describeDatabase(url: string): Promise<string[]> {
  const lines: string[] = [];
  const tables = await query(url, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations'");
  for (const [tableName] of tables) {
    const table = String(tableName);
    lines.push(`table ${table}`);
    for (const [, name, type, notnull, , pk] of await query(url, `PRAGMA table_info("${table}")`)) {
      lines.push(`column ${table}.${name} ${type} ${Number(notnull) ? 'not null' : 'null'}${Number(pk) ? ' pk' : ''}`);
    }
    for (const [, indexName, unique, origin] of await query(url, `PRAGMA index_list("${table}")`)) {
      if (origin === 'pk') continue;
      const columns = (await query(url, `PRAGMA index_info("${indexName}")`)).map((row) => row[2]);
      lines.push(`${Number(unique) ? 'unique' : 'index'} ${table}(${columns.join(',')})`);
    }
    const fks = await query(url, `PRAGMA foreign_key_list("${table}")`);
    for (const [, , target, from, to, , onDelete] of fks) {
      lines.push(`fk ${table}(${from}) -> ${target}(${to}) on delete ${String(onDelete).toLowerCase().replace('no action', 'restrict')}`);
    }
  }
  return lines.sort();
}

function copyMigrations(name: string): string {
  const dir = join(tmp, name);
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

describe('migrations match the Prisma models', () => {
  const dmmf = getDmmf(readFileSync(SCHEMA_PATH, 'utf8'));

  it('a fresh database built from the migrations has exactly the modelled tables, columns, indexes and keys', async () => {
    const url = `file:${join(tmp, 'fresh.db')}`;
    const result = await migrate(url);
    expect(result.applied).toEqual(loadMigrations().map((m) => m.name));
    const expected = describeModels(dmmf);
    expect(expected.length).toBeGreaterThan(40);
    expect(await describeDatabase(url)).toEqual(expected);
  });

  it('notices a column the models do not have', async () => {
    const url = `file:${join(tmp, 'drift.db')}`;
    await migrate(url);
    await exec(url, 'ALTER TABLE "User" ADD COLUMN "nickname" TEXT');
    const actual = await describeDatabase(url);
    expect(actual).not.toEqual(describeModels(dmmf));
    expect(actual).toContain('column User.nickname TEXT null');
  });

  it('the generated client was generated from the current schema', () => {
    const modelNames = dmmf.datamodel.models.map((m) => m.name).sort();
    expect(Object.values(Prisma.ModelName).sort()).toEqual(modelNames);
    for (const model of dmmf.datamodel.models) {
      const generated = (Prisma as unknown as Record<string, Record<string, string>>)[`${model.name}ScalarFieldEnum`];
      const scalars = model.fields.filter((f) => f.kind !== 'object').map((f) => f.name).sort();
      expect(Object.values(generated ?? {}).sort(), `${model.name} fields (run npm run prisma:generate)`).toEqual(scalars);
    }
  });
});

describe('migrator', () => {
  it('is idempotent and records each migration with its checksum', async () => {
    const url = `file:${join(tmp, 'idem.db')}`;
    const first = await migrate(url);
    const second = await migrate(url);
    expect(first.applied.length).toBeGreaterThan(0);
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toEqual(first.applied);
    const rows = await query(url, 'SELECT migration_name, checksum, finished_at FROM _prisma_migrations ORDER BY migration_name');
    expect(rows.map((r) => r[0])).toEqual(first.applied);
    const sql = readFileSync(join(MIGRATIONS_DIR, first.applied[0]!, 'migration.sql'), 'utf8');
    expect(rows[0]![1]).toBe(checksumOf(sql));
    expect(rows[0]![2]).not.toBeNull();
  });

  it('refuses a migration edited after it was applied', async () => {
    const dir = copyMigrations('edited');
    const url = `file:${join(tmp, 'edited.db')}`;
    await migrate(url, { dir });
    const [first] = loadMigrations(dir);
    appendFileSync(join(dir, first!.name, 'migration.sql'), '\nCREATE TABLE "Sneaky" ("id" INTEGER);\n');
    await expect(migrate(url, { dir })).rejects.toThrow(MigrationError);
    await expect(migrate(url, { dir })).rejects.toThrow(/changed after it was applied/);
    expect(await query(url, "SELECT name FROM sqlite_master WHERE name = 'Sneaky'")).toEqual([]);
  });

  it('refuses a database migrated by newer code', async () => {
    const dir = copyMigrations('newer');
    const url = `file:${join(tmp, 'newer.db')}`;
    mkdirSync(join(dir, '29990101000000_future'));
    writeFileSync(join(dir, '29990101000000_future', 'migration.sql'), 'CREATE TABLE "Future" ("id" INTEGER);\n');
    await migrate(url, { dir });
    await expect(migrate(url)).rejects.toThrow(/does not know/);
  });

  it('applies a new migration once, and a failing one leaves no trace', async () => {
    const dir = copyMigrations('add');
    const url = `file:${join(tmp, 'add.db')}`;
    await migrate(url, { dir });
    mkdirSync(join(dir, '29990101000000_add_note'));
    writeFileSync(join(dir, '29990101000000_add_note', 'migration.sql'), 'ALTER TABLE "User" ADD COLUMN "note" TEXT;\n');
    mkdirSync(join(dir, '29990102000000_broken'));
    writeFileSync(join(dir, '29990102000000_broken', 'migration.sql'), 'CREATE TABLE "Half" ("id" INTEGER);\nSELECT * FROM "NoSuchTable";\n');
    await expect(migrate(url, { dir })).rejects.toThrow(/NoSuchTable|TableDoesNotExist/);
    // The whole run is one transaction: neither the good nor the broken migration took effect.
    const columns = (await query(url, 'PRAGMA table_info("User")')).map((r) => r[1]);
    expect(columns).not.toContain('note');
    expect(await query(url, "SELECT name FROM sqlite_master WHERE name = 'Half'")).toEqual([]);
    rmSync(join(dir, '29990102000000_broken'), { recursive: true });
    expect((await migrate(url, { dir })).applied).toEqual(['29990101000000_add_note']);
    expect((await query(url, 'PRAGMA table_info("User")')).map((r) => r[1])).toContain('note');
  });

  it('concurrent start-ups (separate processes) apply each migration exactly once', async () => {
    // Separate processes, as in production: better-sqlite3 waits for a lock synchronously, so two
    // connections in one thread would only wait for each other.
    const path = join(tmp, 'concurrent.db');
    const outputs = await Promise.all([1, 2, 3].map(() => runMigrateCli(path)));
    const appliedCounts = outputs.map((out) => Number(/: (\d+) applied/.exec(out)?.[1])).sort();
    expect(appliedCounts).toEqual([0, 0, loadMigrations().length]);
    expect((await query(`file:${path}`, 'SELECT COUNT(*) FROM _prisma_migrations'))[0]![0]).toBe(loadMigrations().length);
  });
});
