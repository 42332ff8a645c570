/** A parsed config snapshot: typed getters over the entries of one .properties file, and key-level changes. */
import { diffProperties } from '../../server/properties/index.ts';

export interface ConfigChange {
  key: string;
  /** undefined when the key was added. */
  oldValue: string | undefined;
  /** undefined when the key was removed. */
  newValue: string | undefined;
}

export class MissingConfigKeyError extends Error {
  constructor(readonly key: string, readonly file: string) {
    super(`config key '${key}' is missing from ${file}`);
    this.name = 'MissingConfigKeyError';
  }
}

export class ConfigValueError extends Error {
  constructor(readonly key: string, readonly value: string, expected: string) {
    super(`config key '${key}' is '${value}', not ${expected}`);
    this.name = 'ConfigValueError';
  }
}

/** Changed keys in the order of the new file, then removed keys, as one list. */
export function changesBetween(before: Map<string, string>, after: Map<string, string>): ConfigChange[] {
  const diff = diffProperties(before, after);
  return [
    ...diff.added.map(({ key, newValue }) => ({ key, oldValue: undefined, newValue })),
    ...diff.changed.map(({ key, oldValue, newValue }) => ({ key, oldValue, newValue })),
    ...diff.removed.map(({ key, oldValue }) => ({ key, oldValue, newValue: undefined })),
  ];
}

export function parseNumber(key: string, value: string): number {
  const n = value.trim() === '' ? NaN : Number(value.trim());
  if (!Number.isFinite(n)) throw new ConfigValueError(key, value, 'a number');
  return n;
}

/** Java's Boolean.parseBoolean is lenient (anything but "true" is false); a config typo deserves an error instead. */
export function parseBoolean(key: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === 'yes' || v === 'on' || v === '1') return true;
  if (v === 'false' || v === 'no' || v === 'off' || v === '0') return false;
  throw new ConfigValueError(key, value, 'a boolean');
}
