// Where configuration lives in the ensemble: /configs/<namespace>/<file>. Names are restricted so a
// path segment can never climb out of its namespace or collide with ZooKeeper's reserved names.

import { InvalidNameError } from './errors.ts';

export const CONFIGS_ROOT = '/configs';
const NAME = /^[A-Za-z0-9._-]{1,128}$/;

export function nameProblem(name: string): string | null {
  if (!NAME.test(name)) return 'use 1-128 of A-Z a-z 0-9 . _ -';
  if (name.includes('..') || name === '.') return 'must not contain ".."';
  return null;
}

export function checkName(kind: 'namespace' | 'file', name: string): void {
  const problem = nameProblem(name);
  if (problem !== null) throw new InvalidNameError(`invalid ${kind} name ${JSON.stringify(name)}: ${problem}`);
}

export function namespacePath(namespace: string): string {
  checkName('namespace', namespace);
  return `${CONFIGS_ROOT}/${namespace}`;
}

export function filePath(namespace: string, file: string): string {
  checkName('file', file);
  return `${namespacePath(namespace)}/${file}`;
}

/** Splits a znode path under /configs into its namespace and file (file null for a namespace node). */
export function parseConfigPath(path: string): { namespace: string; file: string | null } | null {
  if (!path.startsWith(`${CONFIGS_ROOT}/`)) return null;
  const parts = path.slice(CONFIGS_ROOT.length + 1).split('/');
  if (parts.length > 2 || parts.some((p) => nameProblem(p) !== null)) return null;
  return { namespace: parts[0]!, file: parts[1] ?? null };
}
