/**
 * Thousands of seeded schedules of the real ZAB state machine under faults; see tests/sim/.
 * A failure names its seed and the command that replays it exactly.
 */
import { describe, expect, it } from 'vitest';
import { simulate, SimFailure, type SimOptions, type SimReport } from '../sim/simulator.ts';
import { InvariantViolation } from '../sim/checker.ts';

function sweep(first: number, count: number, shape: Omit<SimOptions, 'seed'>): SimReport[] {
  const reports: SimReport[] = [];
  const failures: string[] = [];
  for (let seed = first; seed < first + count; seed++) {
    try {
      reports.push(simulate({ seed, ...shape }));
    } catch (err) {
      failures.push(err instanceof SimFailure ? err.message : String(err));
      if (failures.length >= 5) break;
    }
  }
  if (failures.length > 0) console.error(failures.join('\n'));
  expect(failures).toEqual([]);
  return reports;
}

function total(reports: SimReport[], key: keyof SimReport): number {
  return reports.reduce((sum, r) => sum + (r[key] as number), 0);
}

describe('ZAB deterministic simulation', () => {
  it('3 voters: 1200 schedules keep every invariant and recover after healing', () => {
    const reports = sweep(1, 1200, { voters: 3 });
    // The schedules really exercised the protocol, not just an idle ensemble.
    expect(total(reports, 'committed')).toBeGreaterThan(10_000);
    expect(total(reports, 'crashes')).toBeGreaterThan(1000);
    expect(total(reports, 'partitions')).toBeGreaterThan(1000);
    expect(total(reports, 'snapshotsSent')).toBeGreaterThan(100);
    expect(total(reports, 'historyDiffs')).toBeGreaterThan(100);
    expect(total(reports, 'truncations')).toBeGreaterThan(50);
    expect(total(reports, 'forwarded')).toBeGreaterThan(1000);
    expect(Math.max(...reports.map((r) => r.establishedEpochs))).toBeGreaterThan(3);
  });

  it('5 voters: 400 schedules', () => {
    const reports = sweep(100_001, 400, { voters: 5 });
    expect(total(reports, 'committed')).toBeGreaterThan(3000);
  });

  it('3 voters + 1 observer: 300 schedules', () => {
    const reports = sweep(200_001, 300, { voters: 3, observers: 1 });
    expect(total(reports, 'committed')).toBeGreaterThan(2000);
  });

  it('5 voters + 2 observers: 100 schedules', () => {
    sweep(300_001, 100, { voters: 5, observers: 2 });
  });

  it('replays a seed exactly', () => {
    const a = simulate({ seed: 4242, voters: 5, observers: 1 });
    const b = simulate({ seed: 4242, voters: 5, observers: 1 });
    expect(b).toEqual(a);
    expect(simulate({ seed: 4243, voters: 5, observers: 1 })).not.toEqual(a);
  });

  it('catches a disk that acknowledges fsyncs it never did, naming the seed to replay', () => {
    let caught: SimFailure | null = null;
    for (let seed = 1; seed <= 50 && !caught; seed++) {
      try {
        simulate({ seed, voters: 3, lyingDisk: true });
      } catch (err) {
        if (err instanceof SimFailure) caught = err;
        else throw err;
      }
    }
    expect(caught).not.toBeNull();
    expect(caught!.failure).toBeInstanceOf(InvariantViolation);
    expect(caught!.message).toMatch(/replay: SEED=\d+ VOTERS=3 OBSERVERS=0 LYING_DISK=1 npx tsx tests\/sim\/run\.ts/);
  });
});
