// The file editor's rules, kept out of components so they can be tested without a browser.
// The text is the source of truth: table edits rewrite only the lines of the keys involved, so
// comments, order and formatting survive exactly as the operator wrote them.

import { applyPatch, diffProperties, isEmptyDiff, parseProperties, PropertiesDocument } from '../../server/properties/index.ts';
import type { KeyDiff } from './types.ts';

export { diffProperties, isEmptyDiff, parseProperties };
export { looksSecret } from '../../server/properties/index.ts';

export interface Row {
  key: string;
  value: string;
  line: number | null;
}

export interface LineProblem {
  line: number;
  severity: 'error' | 'warning';
  message: string;
}

export function rowsOf(text: string): Row[] {
  const { doc, entries } = parseProperties(text);
  return [...entries].map(([key, value]) => ({ key, value, line: doc.lineOf(key) ?? null }));
}

/** Errors (Java would refuse the file) and warnings (duplicate keys), ordered by line. */
export function problemsOf(text: string): LineProblem[] {
  const { errors, warnings } = parseProperties(text);
  return [
    ...errors.map((e) => ({ line: e.line, severity: 'error' as const, message: e.message })),
    ...warnings.map((w) => ({ line: w.line, severity: 'warning' as const, message: w.message })),
  ].sort((a, b) => a.line - b.line);
}

export function setValue(text: string, key: string, value: string): string {
  const doc = new PropertiesDocument(text);
  doc.set(key, value);
  return doc.toString();
}

export function removeKey(text: string, key: string): string {
  const doc = new PropertiesDocument(text);
  doc.remove(key);
  return doc.toString();
}

/** Renames in place is not something .properties can express; the old entry goes, the new one is appended. */
export function renameKey(text: string, oldKey: string, newKey: string, value: string): string {
  if (oldKey === newKey) return setValue(text, oldKey, value);
  const doc = new PropertiesDocument(text);
  doc.remove(oldKey);
  doc.set(newKey, value);
  return doc.toString();
}

export function keyDiff(before: string, after: string): KeyDiff {
  return diffProperties(before, after);
}

export function changedKeys(diff: KeyDiff): Set<string> {
  return new Set([...diff.added.map((c) => c.key), ...diff.changed.map((c) => c.key), ...diff.removed.map((c) => c.key)]);
}

export interface MergeResult {
  /** My edits replayed on top of their text. */
  text: string;
  /** Keys both sides changed differently; their value was kept. */
  overlapping: string[];
}

/**
 * Three-way merge at key level after a conflict: `base` is what I started from, `mine` my edit,
 * `theirs` what is stored now. My changes to keys they did not touch are replayed onto theirs.
 * A key both sides changed to the same value is not a conflict.
 */
export function mergeNonOverlapping(base: string, mine: string, theirs: string): MergeResult {
  const myDiff = diffProperties(base, mine);
  const theirKeys = changedKeys(diffProperties(base, theirs));
  const mineNow = parseProperties(mine).entries;
  const theirsNow = parseProperties(theirs).entries;
  const set: Record<string, string> = {};
  const remove: string[] = [];
  const overlapping: string[] = [];
  const sameOutcome = (key: string): boolean => mineNow.get(key) === theirsNow.get(key);
  for (const { key, newValue } of [...myDiff.added, ...myDiff.changed]) {
    if (!theirKeys.has(key)) set[key] = newValue;
    else if (!sameOutcome(key)) overlapping.push(key);
  }
  for (const { key } of myDiff.removed) {
    if (!theirKeys.has(key)) remove.push(key);
    else if (!sameOutcome(key)) overlapping.push(key);
  }
  return { text: applyPatch(theirs, { set, remove }), overlapping };
}

export function diffSize(diff: KeyDiff): number {
  return diff.added.length + diff.changed.length + diff.removed.length;
}

export const MASK = '••••••••';
