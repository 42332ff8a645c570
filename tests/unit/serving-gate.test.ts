// A connect request that arrives between leaders waits briefly for the node to serve instead of being refused.

import { describe, expect, it } from 'vitest';
import { ServingGate } from '../../ensemble/server/serving-gate.ts';

describe('ServingGate', () => {
  it('lets a request through at once while serving', async () => {
    const gate = new ServingGate(() => true, 1000);
    expect(await gate.wait()).toBe(true);
  });

  it('holds a request while not serving and releases it the moment the node serves', async () => {
    let serving = false;
    const gate = new ServingGate(() => serving, 60_000);
    let settled: boolean | null = null;
    const waiting = gate.wait().then((v) => (settled = v));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBeNull();
    serving = true;
    gate.servingNow();
    expect(await waiting).toBe(true);
  });

  it('refuses after the hold when the node still does not serve, and refuses at once with no hold', async () => {
    const gate = new ServingGate(() => false, 30);
    expect(await gate.wait()).toBe(false);
    expect(await new ServingGate(() => false, 0).wait()).toBe(false);
  });

  it('refuses everyone waiting when the node closes', async () => {
    const gate = new ServingGate(() => false, 60_000);
    const waits = [gate.wait(), gate.wait()];
    gate.close();
    expect(await Promise.all(waits)).toEqual([false, false]);
  });
});
