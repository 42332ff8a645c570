import { PropertiesDocument } from './document.ts';

export interface PropertiesPatch {
  set?: Record<string, string>;
  remove?: string[];
}

export class PropertiesPatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PropertiesPatchError';
  }
}

/**
 * Applies a key-level edit to a file's text, touching only the lines of the keys involved:
 * removals first, then sets in the order given (new keys appended at the end).
 * A key both set and removed is a contradiction, not something to guess about.
 */
export function applyPatch(text: string, patch: PropertiesPatch): string {
  const set = patch.set ?? {};
  const remove = patch.remove ?? [];
  const conflicting = remove.filter((key) => Object.hasOwn(set, key));
  if (conflicting.length > 0) {
    throw new PropertiesPatchError(`Keys both set and removed: ${conflicting.map((k) => JSON.stringify(k)).join(', ')}`);
  }
  const doc = new PropertiesDocument(text);
  for (const key of remove) doc.remove(key);
  for (const [key, value] of Object.entries(set)) {
    if (typeof value !== 'string') throw new PropertiesPatchError(`Value of ${JSON.stringify(key)} is not a string`);
    doc.set(key, value);
  }
  return doc.toString();
}
