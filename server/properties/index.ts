// Java .properties files: parsing with java.util.Properties.load's rules, a document model that
// round-trips byte for byte, key-level diff and patch.

import { PropertiesDocument } from './document.ts';
import type { PropertiesError, PropertiesWarning } from './parse.ts';

export { PropertiesDocument } from './document.ts';
export { diffProperties, isEmptyDiff, type PropertiesDiff, type PropertiesSource } from './diff.ts';
export { applyPatch, PropertiesPatchError, type PropertiesPatch } from './patch.ts';
export { serializeProperties, type PropertiesEntries } from './serialize.ts';
export { looksSecret } from './secret.ts';
export { escapePropertyKey, escapePropertyValue, unescapeProperties, MalformedEscapeError } from './escape.ts';
export type { PropertiesError, PropertiesWarning, PropertiesNode, EntryNode, InvalidNode } from './parse.ts';

export interface ParsedProperties {
  doc: PropertiesDocument;
  /** What Properties.load would hold (minus lines it would throw on), in order of first appearance. */
  entries: Map<string, string>;
  warnings: readonly PropertiesWarning[];
  /** Non-empty means Java's Properties.load would throw IllegalArgumentException on this text. */
  errors: readonly PropertiesError[];
}

export function parseProperties(text: string): ParsedProperties {
  const doc = new PropertiesDocument(text);
  return { doc, entries: doc.toMap(), warnings: doc.warnings, errors: doc.errors };
}
