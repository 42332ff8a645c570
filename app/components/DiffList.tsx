'use client';
import { looksSecret, MASK } from '../lib/editor-model.ts';
import type { KeyDiff } from '../lib/types.ts';

/** Key-level diff: added, changed (old → new) and removed keys. Secret-looking values stay masked unless `reveal`. */
export function DiffList({ diff, reveal = false }: { diff: KeyDiff; reveal?: boolean }) {
  const show = (key: string, value: string) => (!reveal && looksSecret(key) ? MASK : value);
  const total = diff.added.length + diff.changed.length + diff.removed.length;
  if (total === 0) return <p className="muted">No key changes.</p>;
  return (
    <ul className="diff-list" aria-label="Changed keys">
      {diff.added.map((c) => (
        <li key={`a-${c.key}`} className="added" data-change="added">
          + {c.key} = {show(c.key, c.newValue)}
        </li>
      ))}
      {diff.changed.map((c) => (
        <li key={`c-${c.key}`} className="changed" data-change="changed">
          ~ {c.key}: <span className="old">{show(c.key, c.oldValue)}</span> → {show(c.key, c.newValue)}
        </li>
      ))}
      {diff.removed.map((c) => (
        <li key={`r-${c.key}`} className="removed" data-change="removed">
          − {c.key} <span className="old">{show(c.key, c.oldValue)}</span>
        </li>
      ))}
    </ul>
  );
}
