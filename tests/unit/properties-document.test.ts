import { describe, expect, it } from 'vitest';
import {
  escapePropertyKey,
  escapePropertyValue,
  parseProperties,
  PropertiesDocument,
} from '../../server/properties/index.ts';

const TRICKY_FILES: Array<[string, string]> = [
  ['empty', ''],
  ['no final line end', 'a=1\nb=2'],
  ['CRLF with comments and blanks', '# header\r\n\r\na = 1\r\n! bang\r\nb:2\r\n\r\n'],
  ['lone CRs', 'a=1\rb=2\r\r# c\r'],
  ['mixed line ends', 'a=1\r\nb=2\nc=3\rd=4'],
  ['continuations with indentation', 'fruits   apple, \\\n         banana, \\\r\n\t\tpear\nnext=1\n'],
  ['odd and even backslashes', 'a=x\\\\\nb=y\\\\\\\n  z\nc=\\\n'],
  ['trailing whitespace and tabs', 'a = 1   \t\nb\t\t:\t2 \n   \n\t\n'],
  ['escapes and unicode', 'k\\ ey\\:x=\\u00e9\\t\\n\ngrüße = 日本語 😀\n'],
  ['duplicates', 'a=1\na=2\na=3\n'],
  ['broken \\u line is kept', 'a=1\nbad=\\u12\nc=3\n'],
  ['byte order mark', '\ufeffa=1\n'],
  ['lone backslash at the end', 'a=1\n\\'],
  ['only comments', '#!\n!#\n# \\\n'],
];

describe('round trip', () => {
  it.each(TRICKY_FILES)('%s prints back byte for byte', (_name, text) => {
    const { doc } = parseProperties(text);
    expect(doc.toString()).toBe(text);
    expect(Buffer.from(doc.toString(), 'utf8').equals(Buffer.from(text, 'utf8'))).toBe(true);
  });

  it.each(TRICKY_FILES)('%s: the source of all nodes concatenates to the text', (_name, text) => {
    const { doc } = parseProperties(text);
    expect(doc.nodes.map((node) => node.raw).join('')).toBe(text);
  });

  it('setting a key to its current value changes nothing', () => {
    const text = 'a = 1   \r\nb=\\u0032\r\n';
    const doc = new PropertiesDocument(text);
    expect(doc.set('a', '1   ')).toBe(false);
    expect(doc.set('b', '2')).toBe(false);
    expect(doc.toString()).toBe(text);
  });
});

function changedLines(before: string, after: string): { removed: string[]; added: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  return { removed: a.slice(head, a.length - tail), added: b.slice(head, b.length - tail) };
}

describe('edits touch only their lines', () => {
  const FILE = [
    '# Database',
    'db.url   = jdbc:mysql://localhost/app',
    'db.user:admin',
    '',
    '! Pool',
    '   pool.size\t10',
    'pool.names = a, \\',
    '             b, \\',
    '             c',
    'timeout=30',
    '',
  ].join('\n');

  it('set keeps the key, separator and indentation as written', () => {
    const doc = new PropertiesDocument(FILE);
    doc.set('pool.size', '20');
    expect(changedLines(FILE, doc.toString())).toEqual({ removed: ['   pool.size\t10'], added: ['   pool.size\t20'] });
    doc.set('db.url', 'jdbc:postgresql://db/app');
    expect(changedLines(FILE, doc.toString()).added).toContain('db.url   = jdbc:postgresql://db/app');
    expect(doc.get('db.url')).toBe('jdbc:postgresql://db/app');
  });

  it('set on a continued value rewrites only that entry', () => {
    const doc = new PropertiesDocument(FILE);
    doc.set('pool.names', 'x, y');
    expect(changedLines(FILE, doc.toString())).toEqual({
      removed: ['pool.names = a, \\', '             b, \\', '             c'],
      added: ['pool.names = x, y'],
    });
  });

  it('remove deletes only the entry\'s lines, keeping comments around it', () => {
    const doc = new PropertiesDocument(FILE);
    expect(doc.remove('pool.names')).toBe(true);
    expect(changedLines(FILE, doc.toString())).toEqual({
      removed: ['pool.names = a, \\', '             b, \\', '             c'],
      added: [],
    });
    expect(doc.remove('pool.names')).toBe(false);
    expect(doc.keys()).toEqual(['db.url', 'db.user', 'pool.size', 'timeout']);
  });

  it('a new key is appended at the end, escaped as Properties.store writes it (separators inside values stay bare)', () => {
    const doc = new PropertiesDocument(FILE);
    doc.set('feature flag', ' on:yes');
    expect(doc.toString()).toBe(FILE + 'feature\\ flag=\\ on:yes\n');
    expect(doc.get('feature flag')).toBe(' on:yes');
    expect(doc.keys().at(-1)).toBe('feature flag');
  });

  it('set on a key without value adds a separator', () => {
    const doc = new PropertiesDocument('cheeses\nx=1\n');
    doc.set('cheeses', 'brie');
    expect(doc.toString()).toBe('cheeses=brie\nx=1\n');
  });

  it('set on a key with an empty value keeps the separator as written', () => {
    const doc = new PropertiesDocument('a =   \nb\t\n');
    doc.set('a', '1');
    doc.set('b', '2');
    expect(doc.toString()).toBe('a =   1\nb\t2\n');
  });

  it('set on a duplicated key changes the definition that wins', () => {
    const doc = new PropertiesDocument('a=1\nb=2\na=3\n');
    doc.set('a', '4');
    expect(doc.toString()).toBe('a=1\nb=2\na=4\n');
    expect(doc.get('a')).toBe('4');
  });

  it('remove on a duplicated key removes every definition', () => {
    const doc = new PropertiesDocument('a=1\nb=2\na=3\n');
    doc.remove('a');
    expect(doc.toString()).toBe('b=2\n');
    expect(doc.has('a')).toBe(false);
  });

  it('keeps the file\'s line ends for appended lines', () => {
    const crlf = new PropertiesDocument('a=1\r\nb=2\r\n');
    crlf.set('c', '3');
    expect(crlf.toString()).toBe('a=1\r\nb=2\r\nc=3\r\n');
    const cr = new PropertiesDocument('a=1\r');
    cr.set('a', '9');
    cr.set('b', '2');
    expect(cr.toString()).toBe('a=9\rb=2\r');
  });

  it('adds a line end before appending to a file without one', () => {
    const doc = new PropertiesDocument('a=1\n# last');
    doc.set('b', '2');
    expect(doc.toString()).toBe('a=1\n# last\nb=2\n');
  });

  it('does not let an appended key be swallowed by a final continuation backslash', () => {
    const doc = new PropertiesDocument('a=1\\');
    doc.set('b', '2');
    expect(doc.toString()).toBe('a=1\nb=2\n');
    expect(doc.entries()).toEqual([['a', '1'], ['b', '2']]);
  });

  it('keeps the key "" of a lone final backslash when appending after it', () => {
    const doc = new PropertiesDocument('a=1\n\\\n');
    expect(doc.get('')).toBe('');
    doc.set('b', '2');
    expect(doc.entries()).toEqual([['a', '1'], ['', ''], ['b', '2']]);
  });

  it('replaces a line with a broken \\u escape when its key is set, and removes it', () => {
    const text = 'a=1\nbad = \\u12\nc=3\n';
    const fixed = new PropertiesDocument(text);
    expect(fixed.errors).toHaveLength(1);
    fixed.set('bad', 'ok');
    expect(fixed.toString()).toBe('a=1\nbad = ok\nc=3\n');
    expect(fixed.errors).toEqual([]);
    const removed = new PropertiesDocument(text);
    removed.remove('bad');
    expect(removed.toString()).toBe('a=1\nc=3\n');
  });

  it('reports line numbers of the edited text', () => {
    const doc = new PropertiesDocument('a=1\nb=2\n');
    doc.remove('a');
    doc.set('c', '3');
    expect(doc.lineOf('b')).toBe(1);
    expect(doc.lineOf('c')).toBe(2);
  });
});

describe('escaping matches Properties.store', () => {
  // Expected strings are what JDK 17's Properties.store(Writer) printed for the same key and value.
  it('escapes keys: every space, separators, comment characters and backslashes', () => {
    expect(escapePropertyKey('a b=c:d#e!f\\g')).toBe('a\\ b\\=c\\:d\\#e\\!f\\\\g');
  });

  it('escapes values: a leading space, backslashes and control escapes; separators and comment characters stay bare', () => {
    expect(escapePropertyValue(' lead = : # ! \\ \t é trail ')).toBe('\\ lead = : # ! \\\\ \\t é trail ');
    expect(escapePropertyValue('jdbc:mysql://h:3306/db?x=1')).toBe('jdbc:mysql://h:3306/db?x=1');
    expect(escapePropertyValue('a\nb\rc\fd')).toBe('a\\nb\\rc\\fd');
  });

  it('keeps non-ASCII as is, but \\u-escapes invisible control characters and lone surrogates', () => {
    expect(escapePropertyValue('日本 😀')).toBe('日本 😀');
    expect(escapePropertyValue('a\u0000b\u007f')).toBe('a\\u0000b\\u007F');
    expect(escapePropertyValue('x\ud800y')).toBe('x\\uD800y');
  });

  it('every escaped value reads back to itself', () => {
    const values = ['', ' ', '  two', 'tab\tin', '=:#!', '\\', 'trailing\\', 'é\u0001\ud83d', 'line\nbreak', 'a\\u0041'];
    for (const value of values) {
      const doc = new PropertiesDocument();
      doc.set('k', value);
      doc.set(value, 'as key');
      expect(doc.get('k')).toBe(value);
      expect(doc.get(value)).toBe('as key');
      expect(new PropertiesDocument(doc.toString()).get('k')).toBe(value);
    }
  });
});

describe('a document after edits reads like a fresh parse of its text', () => {
  // Seeded, so a failure replays exactly.
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return state / 0x7fffffff;
    };
  }
  const PIECES = ['a', 'k', '=', ':', ' ', '\t', '\\', '\\', '\n', '\r\n', '\r', '#', '!', 'é', '\\u00e9', '\\u1'];
  const KEYS = ['a', 'k', 'ak', '', 'new key', 'é'];
  const VALUES = ['', 'x', ' lead', 'a=b', 'multi\nline', 'back\\slash', '#!'];

  it('for 300 random files and edit sequences', () => {
    const next = random(42);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    for (let round = 0; round < 300; round++) {
      let text = '';
      for (let n = Math.floor(next() * 40); n > 0; n--) text += pick(PIECES);
      const doc = new PropertiesDocument(text);
      const expected = doc.toMap();
      for (let edit = 0; edit < 4; edit++) {
        const key = pick(KEYS);
        if (next() < 0.3) {
          doc.remove(key);
          expected.delete(key);
        } else {
          const value = pick(VALUES);
          doc.set(key, value);
          expected.set(key, value);
        }
        const fresh = new PropertiesDocument(doc.toString());
        expect(doc.entries()).toEqual(fresh.entries());
        expect(doc.errors).toEqual(fresh.errors);
        expect(doc.warnings).toEqual(fresh.warnings);
      }
      expect(Object.fromEntries(doc.toMap())).toEqual(Object.fromEntries(expected));
    }
  });
});
