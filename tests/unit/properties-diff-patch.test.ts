import { describe, expect, it } from 'vitest';
import {
  applyPatch,
  diffProperties,
  isEmptyDiff,
  looksSecret,
  parseProperties,
  PropertiesDocument,
  PropertiesPatchError,
  serializeProperties,
} from '../../server/properties/index.ts';

describe('diffProperties', () => {
  it('lists added, changed and removed keys in file order', () => {
    const before = 'a=1\nb=2\nc=3\nd=4\n';
    const after = '# edited\nz=26\nd=4\nb=two\nc=3\ny=25\n';
    expect(diffProperties(before, after)).toEqual({
      added: [{ key: 'z', newValue: '26' }, { key: 'y', newValue: '25' }],
      changed: [{ key: 'b', oldValue: '2', newValue: 'two' }],
      removed: [{ key: 'a', oldValue: '1' }],
    });
  });

  it('compares decoded values, not spelling, comments or layout', () => {
    const diff = diffProperties('a = 1\nb=\\u00e9\n', '# note\r\na:1\r\nb = é\r\n');
    expect(isEmptyDiff(diff)).toBe(true);
  });

  it('treats an empty value as a value', () => {
    expect(diffProperties('a=\n', 'a=x\nb=\n')).toEqual({
      added: [{ key: 'b', newValue: '' }],
      changed: [{ key: 'a', oldValue: '', newValue: 'x' }],
      removed: [],
    });
  });

  it('accepts maps, records and documents', () => {
    const diff = diffProperties(new Map([['a', '1'], ['b', '2']]), { a: '1', c: '3' });
    expect(diff).toEqual({ added: [{ key: 'c', newValue: '3' }], changed: [], removed: [{ key: 'b', oldValue: '2' }] });
    expect(isEmptyDiff(diffProperties(new PropertiesDocument('k=v'), [['k', 'v']]))).toBe(true);
  });

  it('uses the winning value of a duplicated key', () => {
    expect(diffProperties('a=1\na=2\n', 'a=2\n').changed).toEqual([]);
  });
});

describe('applyPatch', () => {
  const FILE = '# settings\r\nhost = localhost\r\nport: 8080\r\n\r\n# limits\r\nmax.conn 100\r\n';

  it('sets, adds and removes, touching only those lines', () => {
    const patched = applyPatch(FILE, { set: { port: '9090', 'new.key': 'v' }, remove: ['max.conn'] });
    expect(patched).toBe('# settings\r\nhost = localhost\r\nport: 9090\r\n\r\n# limits\r\nnew.key=v\r\n');
    const diff = diffProperties(FILE, patched);
    expect(diff).toEqual({
      added: [{ key: 'new.key', newValue: 'v' }],
      changed: [{ key: 'port', oldValue: '8080', newValue: '9090' }],
      removed: [{ key: 'max.conn', oldValue: '100' }],
    });
  });

  it('returns the text unchanged for an empty or no-op patch', () => {
    expect(applyPatch(FILE, {})).toBe(FILE);
    expect(applyPatch(FILE, { set: { host: 'localhost' }, remove: ['absent'] })).toBe(FILE);
  });

  it('appends new keys in the order given', () => {
    const patched = applyPatch('', { set: { b: '2', a: '1', c: 'x y' } });
    expect(patched).toBe('b=2\na=1\nc=x y\n');
  });

  it('refuses a key that is both set and removed', () => {
    expect(() => applyPatch(FILE, { set: { host: 'h' }, remove: ['host'] })).toThrow(PropertiesPatchError);
  });

  it('refuses a value that is not a string', () => {
    const set = { port: 8080 } as unknown as Record<string, string>;
    expect(() => applyPatch(FILE, { set })).toThrow(/not a string/);
  });

  it('round-trips values that need escaping', () => {
    const values = { 'url': 'jdbc:mysql://db:3306/app?ssl=true', ' spaced key ': ' two  spaces ', 'multi': 'a\nb', 'uni': 'Grüße 😀' };
    const { entries, errors } = parseProperties(applyPatch('x=1\n', { set: values }));
    expect(errors).toEqual([]);
    expect(Object.fromEntries(entries)).toEqual({ x: '1', ...values });
  });
});

describe('serializeProperties', () => {
  it('writes one escaped key=value line per entry in order', () => {
    const text = serializeProperties([['b', '2'], ['a key', ' v:1'], ['c', '']]);
    expect(text).toBe('b=2\na\\ key=\\ v:1\nc=\n');
    expect([...parseProperties(text).entries]).toEqual([['b', '2'], ['a key', ' v:1'], ['c', '']]);
  });

  it('accepts records and maps and a line end', () => {
    expect(serializeProperties({ a: '1' }, { eol: '\r\n' })).toBe('a=1\r\n');
    expect(serializeProperties(new Map([['a', '1'], ['b', '2']]))).toBe('a=1\nb=2\n');
    expect(serializeProperties([])).toBe('');
  });
});

describe('looksSecret', () => {
  it.each([
    'password', 'db.password', 'DB_PASSWORD', 'spring.datasource.password', 'dbPassword', 'mail.passwd', 'ssh-passphrase',
    'client-secret', 'clientSecret', 'SECRET_KEY', 'auth.token', 'github_token', 'accessToken', 'aws.credentials',
    'credential', 'ssl.private.key', 'private_key', 'privateKey', 'PRIVATE-KEY', 'api.key', 'apiKey', 'db.pwd', 'jwt',
  ])('%s looks secret', (key) => {
    expect(looksSecret(key)).toBe(true);
  });

  it.each(['db.url', 'server.port', 'username', 'keyboard.layout', 'tokenizer.model', 'cache.keys', 'private.network', 'compass.heading'])(
    '%s does not look secret',
    (key) => {
      expect(looksSecret(key)).toBe(false);
    },
  );
});
