import { PropertiesDocument } from './document.ts';
import { parseNodes, summarizeNodes } from './parse.ts';
import { entriesOf, type PropertiesEntries } from './serialize.ts';

export interface PropertiesDiff {
  added: Array<{ key: string; newValue: string }>;
  changed: Array<{ key: string; oldValue: string; newValue: string }>;
  removed: Array<{ key: string; oldValue: string }>;
}

/** Text is parsed (lines Java would reject are ignored); anything else is taken as entries. */
export type PropertiesSource = string | PropertiesDocument | PropertiesEntries;

function toMap(source: PropertiesSource): Map<string, string> {
  if (typeof source === 'string') return summarizeNodes(parseNodes(source)).entries;
  if (source instanceof PropertiesDocument) return source.toMap();
  return new Map(entriesOf(source));
}

/** Key-level changes: added and changed in the order of `after`, removed in the order of `before`. */
export function diffProperties(before: PropertiesSource, after: PropertiesSource): PropertiesDiff {
  const oldEntries = toMap(before);
  const newEntries = toMap(after);
  const diff: PropertiesDiff = { added: [], changed: [], removed: [] };
  for (const [key, newValue] of newEntries) {
    const oldValue = oldEntries.get(key);
    if (oldValue === undefined) diff.added.push({ key, newValue });
    else if (oldValue !== newValue) diff.changed.push({ key, oldValue, newValue });
  }
  for (const [key, oldValue] of oldEntries) {
    if (!newEntries.has(key)) diff.removed.push({ key, oldValue });
  }
  return diff;
}

export function isEmptyDiff(diff: PropertiesDiff): boolean {
  return diff.added.length === 0 && diff.changed.length === 0 && diff.removed.length === 0;
}
