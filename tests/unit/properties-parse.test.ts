import { describe, expect, it } from 'vitest';
import { parseProperties, unescapeProperties } from '../../server/properties/index.ts';

// Expected values were produced by java.util.Properties.load (JDK 17, via a StringReader) on the
// same text; entries are listed in order of first appearance.
// <java-cases>
const JAVA_CASES = [
  ['javadoc: Truth = Beauty', 'Truth = Beauty', [['Truth', 'Beauty']]],
  ['javadoc: indented Truth:Beauty', ' Truth:Beauty', [['Truth', 'Beauty']]],
  ['javadoc: whitespace before colon', 'Truth\t\t\t:Beauty', [['Truth', 'Beauty']]],
  ['javadoc: many spaces before colon', 'Truth                    :Beauty', [['Truth', 'Beauty']]],
  [
    'javadoc: fruits continued over three lines',
    'fruits                           apple, banana, pear, \\\n                                 cantaloupe, watermelon, \\\n                                 kiwi, mango',
    [['fruits', 'apple, banana, pear, cantaloupe, watermelon, kiwi, mango']],
  ],
  ['javadoc: cheeses has no value', 'cheeses', [['cheeses', '']]],
  ['javadoc: \\:\\= is the key ":="', '\\:\\=', [[':=', '']]],
  ['whitespace separator then = is one separator', 'key  =  value', [['key', 'value']]],
  ['a second separator belongs to the value', 'key==value', [['key', '=value']]],
  ['colon then equals', 'key:=value', [['key', '=value']]],
  ['whitespace, colon, whitespace, equals', 'key : = value', [['key', '= value']]],
  ['trailing whitespace is kept in the value', 'key=value  \t', [['key', 'value  \t']]],
  ['form feed is whitespace', '\fkey\fvalue', [['key', 'value']]],
  ['escaped space in key', 'my\\ key = v', [['my key', 'v']]],
  ['escaped separators in key', 'a\\=b\\:c=d', [['a=b:c', 'd']]],
  ['escapes \\t \\n \\r \\f', 'k=a\\tb\\nc\\rd\\fe', [['k', 'a\tb\nc\rd\fe']]],
  ['other escaped characters stand for themselves', 'k=\\b\\x\\"\\\'\\#\\!', [['k', 'bx"\'#!']]],
  ['escaped backslash', 'path=C:\\\\temp\\\\', [['path', 'C:\\temp\\']]],
  ['\\u escapes, upper and lower case hex', 'k=\\u00e9\\u00C9\\u0041', [['k', 'éÉA']]],
  ['\\u surrogate pair', 'k=\\uD83D\\uDE00', [['k', '😀']]],
  ['\\u escape in key', '\\u006Bey=v', [['key', 'v']]],
  ['raw UTF-8 text', 'grüße=日本語', [['grüße', '日本語']]],
  ['comments with # and !, also indented', '# c1\n! c2\n   # c3\n\t! c4\nk=v', [['k', 'v']]],
  ['# inside a value is not a comment', 'k=a#b', [['k', 'a#b']]],
  ['a comment does not continue', '# comment \\\nk=v', [['k', 'v']]],
  ['blank and whitespace-only lines', '\n   \n\t\f\nk=v\n\n', [['k', 'v']]],
  ['CRLF line ends', 'a=1\r\nb=2\r\n', [['a', '1'], ['b', '2']]],
  ['CR line ends', 'a=1\rb=2\r', [['a', '1'], ['b', '2']]],
  ['mixed line ends', 'a=1\rb=2\r\nc=3\n', [['a', '1'], ['b', '2'], ['c', '3']]],
  ['continuation skips the next line\'s indentation only', 'k=a\\\n   \tb c', [['k', 'ab c']]],
  ['continuation over CRLF', 'k=a\\\r\n  b\r\nz=1', [['k', 'ab'], ['z', '1']]],
  ['continuation over CR', 'k=a\\\r  b\rz=1', [['k', 'ab'], ['z', '1']]],
  ['even number of backslashes does not continue', 'k=a\\\\\nb=c', [['k', 'a\\'], ['b', 'c']]],
  ['three backslashes continue', 'k=a\\\\\\\nb', [['k', 'a\\b']]],
  ['continuation into an empty line ends the entry', 'k=a\\\n\nb=c', [['k', 'a'], ['b', 'c']]],
  ['continuation line starting with # is value text', 'k=a\\\n#b', [['k', 'a#b']]],
  ['continuation may split the key', 'ke\\\n  y=v', [['key', 'v']]],
  ['continuation may split a \\u escape', 'k=\\u00\\\n  e9', [['k', 'é']]],
  ['trailing backslash at end of input is dropped', 'k=v\\', [['k', 'v']]],
  ['trailing backslash then newline at end of input', 'k=v\\\n', [['k', 'v']]],
  ['a lone backslash at end of input is the key ""', 'a=1\n\\', [['a', '1'], ['', '']]],
  ['a lone backslash then LF at end of input is the key ""', 'a=1\n\\\n', [['a', '1'], ['', '']]],
  ['a lone backslash then CRLF at end of input is nothing', 'a=1\r\n\\\r\n', [['a', '1']]],
  ['after a lone backslash a # line is a comment', '\\\n#x=1\nk=v', [['k', 'v']]],
  ['empty key', '=v', [['', 'v']]],
  ['separator only', ':', [['', '']]],
  ['duplicate keys: last value wins, first position kept', 'a=1\nb=2\na=3', [['a', '3'], ['b', '2']]],
  ['key followed by whitespace only', 'key   ', [['key', '']]],
  ['vertical tab is not whitespace', '\u000bkey=v', [['\u000bkey', 'v']]],
];
// </java-cases>

describe('parseProperties follows java.util.Properties.load', () => {
  it.each(JAVA_CASES)('%s', (_name, text, expected) => {
    const result = parseProperties(text as string);
    expect(result.errors).toEqual([]);
    expect([...result.entries]).toEqual(expected);
  });

  it('decodes escapes outside of a file too', () => {
    expect(unescapeProperties('a\\u0020b\\tc\\\\')).toBe('a b\tc\\');
  });
});

describe('errors and warnings carry 1-based line numbers', () => {
  it('reports a malformed \\u escape in a value on its line, as Java throws', () => {
    const result = parseProperties('a=1\n# note\nbad=x\\u12zz\nc=3\n');
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ kind: 'malformed-unicode-escape', line: 3, key: 'bad' });
    expect(result.errors[0]!.message).toContain('Malformed \\uxxxx encoding');
    // The rest of the file is still usable, and the broken line is not an entry.
    expect([...result.entries]).toEqual([['a', '1'], ['c', '3']]);
  });

  it('reports a \\u escape cut short by the end of the value', () => {
    const result = parseProperties('k=\\u00');
    expect(result.errors.map((e) => e.line)).toEqual([1]);
  });

  it('reports a malformed escape in a key without a key', () => {
    const result = parseProperties('\r\n\r\n\\uXYZW=v\r\n');
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]!.line).toBe(3);
    expect(result.errors[0]!.key).toBeUndefined();
  });

  it('locates an error on the continuation line where it occurs', () => {
    const result = parseProperties('x=1\nk=first \\\n   second \\\n   \\u12\n');
    expect(result.errors.map((e) => e.line)).toEqual([4]);
  });

  it('counts CR, LF and CRLF each as one line end', () => {
    const result = parseProperties('a=1\rb=2\r\nc=3\nd=\\uQQQQ');
    expect(result.errors.map((e) => e.line)).toEqual([4]);
  });

  it('warns about each duplicate key with both line numbers', () => {
    const result = parseProperties('a=1\nb=2\n\na=3\n# again\na=4\n');
    expect(result.warnings.map(({ key, line, previousLine }) => ({ key, line, previousLine }))).toEqual([
      { key: 'a', line: 4, previousLine: 1 },
      { key: 'a', line: 6, previousLine: 4 },
    ]);
    expect(result.warnings[0]!.message).toMatch(/line 4.*line 1/);
    expect(result.entries.get('a')).toBe('4');
  });

  it('treats keys that differ only in escaping as the same key', () => {
    const result = parseProperties('my\\ key=1\nmy\\u0020key=2');
    expect(result.warnings).toHaveLength(1);
    expect([...result.entries]).toEqual([['my key', '2']]);
  });

  it('has no errors or warnings for a clean file', () => {
    const result = parseProperties('a=1\nb=2\n');
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  });
});
