import { escapePropertyKey, escapePropertyValue } from './escape.ts';

export type PropertiesEntries = Map<string, string> | Record<string, string> | Iterable<readonly [string, string]>;

export function entriesOf(input: PropertiesEntries): Array<[string, string]> {
  if (input instanceof Map) return [...input.entries()];
  if (Symbol.iterator in input) return [...(input as Iterable<readonly [string, string]>)].map(([k, v]) => [k, v]);
  return Object.entries(input as Record<string, string>);
}

/**
 * One `key=value` line per entry, in the given order, escaped as Properties.store writes them
 * (without its date comment, and with non-ASCII kept as UTF-8).
 */
export function serializeProperties(entries: PropertiesEntries, options: { eol?: string } = {}): string {
  const eol = options.eol ?? '\n';
  return entriesOf(entries)
    .map(([key, value]) => escapePropertyKey(key) + '=' + escapePropertyValue(value) + eol)
    .join('');
}
