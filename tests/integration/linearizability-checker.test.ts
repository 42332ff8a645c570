/** The checker itself: it must accept linearizable histories and flag known non-linearizable ones. */
import { describe, expect, it } from 'vitest';
import { checkLinearizable, znodeRegisterModel, type Operation, type RegisterInput, type RegisterOutput } from '../helpers/linearizability.ts';

type Op = Operation<RegisterInput, RegisterOutput>;
const model = znodeRegisterModel({ value: 'init', version: 0 });
const read = (client: number, call: number, ret: number, value: string, version: number): Op => ({
  client, key: 'k', call, ret, input: { type: 'read' }, output: { type: 'read', value, version },
});
const cas = (client: number, call: number, ret: number, expectedVersion: number, value: string, ok: boolean | undefined): Op => ({
  client, key: 'k', call, ret: ok === undefined ? Infinity : ret, input: { type: 'cas', expectedVersion, value }, output: ok === undefined ? undefined : { type: 'cas', ok },
});

describe('linearizability checker', () => {
  it('accepts a concurrent history that has a valid order', () => {
    const h = [cas(1, 0, 10, 0, 'a', true), read(2, 1, 5, 'a', 1), read(3, 2, 3, 'init', 0), cas(2, 11, 12, 0, 'b', false)];
    expect(checkLinearizable(model, h).ok).toBe(true);
  });

  it('flags a stale read after a completed write', () => {
    const h = [cas(1, 0, 1, 0, 'a', true), read(2, 2, 3, 'init', 0)];
    expect(checkLinearizable(model, h)).toMatchObject({ ok: false, badKey: 'k' });
  });

  it('flags two successful compare-and-sets on the same version', () => {
    const h = [cas(1, 0, 5, 0, 'a', true), cas(2, 0, 5, 0, 'b', true)];
    expect(checkLinearizable(model, h).ok).toBe(false);
  });

  it('flags a read that goes back in time', () => {
    const h = [cas(1, 0, 1, 0, 'a', true), cas(1, 2, 3, 1, 'b', true), read(2, 4, 5, 'b', 2), read(3, 6, 7, 'a', 1)];
    expect(checkLinearizable(model, h).ok).toBe(false);
  });

  it('lets an unknown write take effect late, or never', () => {
    const late = [cas(1, 0, 0, 0, 'a', undefined), read(2, 5, 6, 'init', 0), read(3, 7, 8, 'a', 1)];
    expect(checkLinearizable(model, late).ok).toBe(true);
    const never = [cas(1, 0, 0, 0, 'a', undefined), read(2, 5, 6, 'init', 0)];
    expect(checkLinearizable(model, never).ok).toBe(true);
    // But once seen, it cannot be un-seen.
    const flip = [cas(1, 0, 0, 0, 'a', undefined), read(2, 5, 6, 'a', 1), read(3, 7, 8, 'init', 0)];
    expect(checkLinearizable(model, flip).ok).toBe(false);
  });

  it('checks keys independently', () => {
    const h = [{ ...cas(1, 0, 1, 0, 'a', true), key: 'x' }, { ...read(2, 2, 3, 'init', 0), key: 'y' }];
    expect(checkLinearizable(model, h).ok).toBe(true);
  });
});
