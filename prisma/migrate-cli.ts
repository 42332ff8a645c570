// `npm run db:migrate`: apply pending migrations to DATABASE_URL (default file:./data/audit.db) and exit.
// The admin does this by itself at start-up; this is for deploy scripts and for checking a database by hand.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { databasePath, databaseUrl } from '../server/db.ts';
import { migrate } from './migrate.ts';

const path = databasePath(process.argv[2] ?? databaseUrl());
mkdirSync(dirname(path), { recursive: true });
try {
  const result = await migrate(`file:${path}`);
  for (const name of result.applied) console.log(`applied ${name}`);
  console.log(`${path}: ${result.applied.length} applied, ${result.alreadyApplied.length} already applied`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
