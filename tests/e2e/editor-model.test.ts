// The admin editor's rules without a browser: table edits touch only their lines, validation errors
// carry the line, and a conflict merge replays only non-overlapping key changes.
import { describe, expect, it } from 'vitest';
import { mergeNonOverlapping, problemsOf, removeKey, renameKey, rowsOf, setValue } from '../../app/lib/editor-model.ts';

const BASE = '# database\ndb.url=jdbc:mysql://db/app\ndb.user=app\n\n# pool\npool.size=10\n';

describe('table edits', () => {
  it('changes one value and leaves comments and other lines byte for byte', () => {
    const edited = setValue(BASE, 'pool.size', '20');
    expect(edited).toBe(BASE.replace('pool.size=10', 'pool.size=20'));
  });

  it('appends a new key and removes a key without touching the rest', () => {
    const added = setValue(BASE, 'feature.x', 'on');
    expect(added.endsWith('feature.x=on\n')).toBe(true);
    const removed = removeKey(added, 'db.user');
    expect(removed).not.toContain('db.user');
    expect(removed).toContain('# database\ndb.url=');
  });

  it('renames by removing the old entry and appending the new one', () => {
    const renamed = renameKey(BASE, 'db.user', 'db.username', 'svc');
    expect(rowsOf(renamed).map((r) => r.key)).toEqual(['db.url', 'pool.size', 'db.username']);
  });

  it('lists rows with the line each key is defined on', () => {
    expect(rowsOf(BASE)).toEqual([
      { key: 'db.url', value: 'jdbc:mysql://db/app', line: 2 },
      { key: 'db.user', value: 'app', line: 3 },
      { key: 'pool.size', value: '10', line: 6 },
    ]);
  });
});

describe('validation', () => {
  it('reports a malformed \\u escape at its line as an error', () => {
    const problems = problemsOf('a=1\nb=2\nbad=\\u12G4\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 3, severity: 'error' });
  });

  it('reports a duplicate key as a warning at the later line', () => {
    const problems = problemsOf('a=1\nb=2\na=3\n');
    expect(problems).toEqual([expect.objectContaining({ line: 3, severity: 'warning' })]);
  });
});

describe('merge after a conflict', () => {
  it('replays my changes to keys they did not touch onto their text', () => {
    const mine = setValue(removeKey(BASE, 'db.user'), 'pool.size', '20');
    const theirs = setValue(BASE, 'db.url', 'jdbc:mysql://db2/app');
    const result = mergeNonOverlapping(BASE, mine, theirs);
    expect(result.overlapping).toEqual([]);
    const merged = new Map(rowsOf(result.text).map((r) => [r.key, r.value]));
    expect(merged.get('db.url')).toBe('jdbc:mysql://db2/app');
    expect(merged.get('pool.size')).toBe('20');
    expect(merged.has('db.user')).toBe(false);
  });

  it('keeps their value for a key both sides changed differently, and names it', () => {
    const mine = setValue(setValue(BASE, 'pool.size', '20'), 'a.new', 'x');
    const theirs = setValue(BASE, 'pool.size', '30');
    const result = mergeNonOverlapping(BASE, mine, theirs);
    expect(result.overlapping).toEqual(['pool.size']);
    const merged = new Map(rowsOf(result.text).map((r) => [r.key, r.value]));
    expect(merged.get('pool.size')).toBe('30');
    expect(merged.get('a.new')).toBe('x');
  });

  it('does not call identical changes on both sides a conflict', () => {
    const both = setValue(BASE, 'pool.size', '20');
    expect(mergeNonOverlapping(BASE, both, both)).toEqual({ text: both, overlapping: [] });
  });
});
