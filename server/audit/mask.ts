// Secret-looking values stay in the database (an admin may need them to roll back) but are hidden
// from viewers. Matching is delegated to looksSecret, which errs towards masking.

import { PropertiesDocument, looksSecret } from '../properties/index.ts';
import type { AuditDiff } from './types.ts';

export const MASK = '******';

/** The text with every definition of a secret-looking key (not only the winning one) given a masked value. */
export function maskPropertiesText(text: string): string {
  const doc = new PropertiesDocument(text);
  return doc.nodes
    .map((node) => {
      if (node.kind !== 'entry' && node.kind !== 'invalid') return node.raw;
      const key = node.key;
      if (key === undefined || node.valuePrefix === undefined || !looksSecret(key)) return node.raw;
      return node.valuePrefix + MASK + node.eol;
    })
    .join('');
}

export function maskDiff(diff: AuditDiff): AuditDiff {
  const hide = (key: string, value: string) => (looksSecret(key) ? MASK : value);
  return {
    added: diff.added.map((e) => ({ key: e.key, newValue: hide(e.key, e.newValue) })),
    changed: diff.changed.map((e) => ({ key: e.key, oldValue: hide(e.key, e.oldValue), newValue: hide(e.key, e.newValue) })),
    removed: diff.removed.map((e) => ({ key: e.key, oldValue: hide(e.key, e.oldValue) })),
  };
}
