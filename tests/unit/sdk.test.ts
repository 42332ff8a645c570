import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DiskCache, writeAtomically } from '../../sdk/config/cache.ts';
import { changesBetween, parseBoolean, parseNumber } from '../../sdk/config/values.ts';
import { bySequence, kindOf, sequenceOf } from '../../sdk/recipes/support.ts';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sdk-unit-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('disk cache', () => {
  it('round-trips a file and keeps namespaces and odd names apart', async () => {
    const cache = new DiskCache(tempDir());
    expect(await cache.read('ns', 'a.properties')).toBeNull();
    await cache.write({ namespace: 'ns', file: 'a.properties', exists: true, text: 'k=v\n', version: 3, mzxid: '42' });
    await cache.write({ namespace: 'ns/..', file: '../a.properties', exists: false, text: '', version: -1, mzxid: '7' });
    expect(await cache.read('ns', 'a.properties')).toMatchObject({ exists: true, text: 'k=v\n', version: 3, mzxid: '42' });
    expect(await cache.read('ns/..', '../a.properties')).toMatchObject({ exists: false, version: -1 });
  });

  it('lands concurrent writes of one file in issue order, leaving no temp files', async () => {
    const dir = tempDir();
    const cache = new DiskCache(dir);
    await Promise.all(Array.from({ length: 20 }, (_, i) => cache.write({ namespace: 'ns', file: 'f', exists: true, text: `v=${i}\n`, version: i, mzxid: String(i) })));
    expect((await cache.read('ns', 'f'))?.version).toBe(19);
    expect(fs.readdirSync(path.join(dir, 'ns'))).toEqual(['f.json']);
  });

  it('refuses a file that is not a cache document', async () => {
    const dir = tempDir();
    const cache = new DiskCache(dir);
    await writeAtomically(cache.pathFor('ns', 'f'), '{"hello":1}');
    await expect(cache.read('ns', 'f')).rejects.toThrow(/not a cache document/);
  });
});

describe('config values', () => {
  it('lists added, changed and removed keys', () => {
    const before = new Map([['a', '1'], ['b', '2'], ['c', '3']]);
    const after = new Map([['b', '20'], ['c', '3'], ['d', '4']]);
    expect(changesBetween(before, after)).toEqual([
      { key: 'd', oldValue: undefined, newValue: '4' },
      { key: 'b', oldValue: '2', newValue: '20' },
      { key: 'a', oldValue: '1', newValue: undefined },
    ]);
    expect(changesBetween(after, after)).toEqual([]);
  });

  it('parses numbers and booleans strictly', () => {
    expect(parseNumber('k', ' 12.5 ')).toBe(12.5);
    expect(() => parseNumber('k', '12x')).toThrow(/not a number/);
    expect(() => parseNumber('k', '')).toThrow(/not a number/);
    expect(parseBoolean('k', 'TRUE')).toBe(true);
    expect(parseBoolean('k', 'off')).toBe(false);
    expect(() => parseBoolean('k', 'ture')).toThrow(/not a boolean/);
  });
});

describe('sequential node names', () => {
  const guid = '0f8fad5b-d9cb-469f-a165-70867728950e';
  it('reads the sequence, including after the counter wrapped', () => {
    expect(sequenceOf('id-0000000012')).toBe(12);
    expect(sequenceOf(`_c_${guid}-lock-0000000007`)).toBe(7);
    expect(sequenceOf('qn--000000005')).toBe(-5);
    expect(() => sequenceOf('plain')).toThrow();
  });

  it('orders by sequence whatever the GUID, and finds the recipe prefix', () => {
    const names = [`_c_${guid}-write-0000000003`, `_c_${guid.replace('0f', 'ff')}-read-0000000001`, 'ready', `_c_${guid}-read-0000000002`];
    expect(bySequence(names).map(sequenceOf)).toEqual([1, 2, 3]);
    expect(bySequence(names).map(kindOf)).toEqual(['read-', 'read-', 'write-']);
  });
});
