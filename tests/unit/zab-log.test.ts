import { describe, expect, it } from 'vitest';
import { ZabLog } from '../../ensemble/zab/log.ts';
import type { LogEntry } from '../../ensemble/zab/ready.ts';

/** A txn whose bytes tell its zxid, of a length that varies with it (empty ones included). */
function entry(zxid: number): LogEntry {
  return { zxid: BigInt(zxid), payload: Buffer.alloc(zxid % 7, zxid % 251) };
}

function expectSame(log: ZabLog, model: LogEntry[]): void {
  expect(log.length).toBe(model.length);
  for (let i = 0; i < model.length; i++) {
    expect(log.zxidAt(i)).toBe(model[i]!.zxid);
    const got = log.at(i);
    expect(got.zxid).toBe(model[i]!.zxid);
    expect(Buffer.compare(got.payload, model[i]!.payload)).toBe(0);
  }
}

describe('ZabLog', () => {
  it('answers like a plain array through appends, packing, trims from the front and cuts from the back', () => {
    const log = new ZabLog();
    const model: LogEntry[] = [];
    let next = 1;
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let step = 0; step < 400; step++) {
      const r = rand(10);
      if (r < 6) {
        for (let k = rand(600); k > 0; k--) {
          const e = entry(next);
          next += 1 + rand(3); // zxids ascend with gaps, as across epochs
          log.push(e);
          model.push(e);
        }
      } else if (r < 8) {
        const n = rand(model.length + 1);
        log.dropFirst(n);
        model.splice(0, n);
      } else if (r < 9) {
        const n = model.length - rand(Math.min(model.length, 50) + 1);
        log.keepFirst(n);
        model.length = n;
      }
      log.pack(rand(model.length + 1), rand(2) * 100);
      if (step % 20 === 0) expectSame(log, model);
      const probe = BigInt(rand(next + 2));
      expect(log.indexAfter(probe)).toBe(model.filter((e) => e.zxid <= probe).length);
    }
    expectSame(log, model);
  });

  it('packs only what is below the stable index and beyond the unpacked allowance', () => {
    const log = new ZabLog();
    const entries = Array.from({ length: 5000 }, (_, i) => entry(i + 1));
    for (const e of entries) log.push(e);
    log.pack(3000, 1000);
    // 2000 stable ones are beyond the allowance: one whole segment of 1024 is packed, its entries are new views.
    expect(log.at(1023)).not.toBe(entries[1023]);
    expect(log.at(1024)).toBe(entries[1024]);
    expect(log.at(4999)).toBe(entries[4999]);
    expectSame(log, entries);
    log.keepFirst(100);
    expectSame(log, entries.slice(0, 100));
  });
});
