/**
 * Decides whether a compatibility suite can run here, and says why not when it cannot.
 * Suites skip (never fail) when a tool is missing or while our server/client have not been written yet.
 */
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './our-server.ts';
import { apacheZkUnavailable, kazooUnavailable, zkCliUnavailable } from './apache-zk.ts';

export const OUR_SERVER_ENTRY = path.join(REPO_ROOT, 'ensemble/cli/server.ts');
export const OUR_CLIENT_ENTRY = path.join(REPO_ROOT, 'ensemble/client/index.ts');

export function ourServerUnavailable(): string | null {
  return fs.existsSync(OUR_SERVER_ENTRY) ? null : `our server is not written yet (${path.relative(REPO_ROOT, OUR_SERVER_ENTRY)} is missing)`;
}

export function ourClientUnavailable(): string | null {
  return fs.existsSync(OUR_CLIENT_ENTRY) ? null : `our client is not written yet (${path.relative(REPO_ROOT, OUR_CLIENT_ENTRY)} is missing)`;
}

export { apacheZkUnavailable, kazooUnavailable, zkCliUnavailable };

/** The first reason among `checks` that stops a suite, printed once so a skipped suite is never silent. */
export function skipReason(suite: string, ...checks: Array<() => string | null>): string | null {
  for (const check of checks) {
    const why = check();
    if (why) {
      console.log(`[compat] skipping ${suite}: ${why}`);
      return why;
    }
  }
  return null;
}
