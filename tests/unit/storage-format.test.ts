import { describe, expect, it } from 'vitest';
import {
  LOG_HEADER_SIZE,
  encodeLogHeader,
  encodeRecordInto,
  findValidRecordAfter,
  recordSize,
  scanLog,
} from '../../ensemble/storage/log-format.ts';
import { decodeSnapshot, encodeSnapshotHeader } from '../../ensemble/storage/snapshot-store.ts';
import { filesByZxid, logFilesAfter, zxidFileName, zxidFromName } from '../../ensemble/storage/file-names.ts';
import { planPurge } from '../../ensemble/storage/purge.ts';
import { SnapshotTrigger } from '../../ensemble/storage/snapshot-trigger.ts';
import { DurationHistogram, FSYNC_BUCKETS_MS } from '../../ensemble/storage/metrics.ts';

/** XORs one byte: simulated bit rot. */
function flip(buf: Buffer, index: number, mask: number): void {
  buf.writeUInt8(buf.readUInt8(index) ^ mask, index);
}


function logWith(records: Array<[bigint, string]>, zeroFill = 0): Buffer {
  const size = LOG_HEADER_SIZE + records.reduce((n, [, text]) => n + recordSize(Buffer.byteLength(text)), 0) + zeroFill;
  const buf = Buffer.alloc(size);
  encodeLogHeader().copy(buf, 0);
  let offset = LOG_HEADER_SIZE;
  for (const [zxid, text] of records) offset = encodeRecordInto(buf, offset, zxid, Buffer.from(text));
  return buf;
}

describe('log record format', () => {
  const records: Array<[bigint, string]> = [
    [1n, 'one'],
    [2n, ''],
    [0x100000001n, 'epoch one'],
  ];

  it('decodes what it encodes, stopping cleanly at zero fill', () => {
    const scan = scanLog(logWith(records, 500));
    expect(scan.stop).toEqual({ kind: 'end' });
    expect(scan.records.map((r) => [r.zxid, r.bytes.toString()])).toEqual(records);
    expect(scan.validEnd).toBe(LOG_HEADER_SIZE + 16 * 3 + 3 + 9);
  });

  it('reports a flipped payload byte as damage at that record', () => {
    const buf = logWith(records);
    const second = LOG_HEADER_SIZE + recordSize(3);
    flip(buf, second + recordSize(0) + 16 + 2, 0x40); // inside the third record's payload
    const scan = scanLog(buf);
    expect(scan.records).toHaveLength(2);
    expect(scan.stop).toEqual({ kind: 'damaged', offset: second + recordSize(0), reason: 'checksum mismatch' });
  });

  it('catches a damaged zxid and non-increasing zxids', () => {
    const damaged = logWith(records);
    flip(damaged, LOG_HEADER_SIZE + 15, 1);
    expect(scanLog(damaged).stop).toMatchObject({ kind: 'damaged', offset: LOG_HEADER_SIZE, reason: 'checksum mismatch' });
    const reordered = logWith([
      [5n, 'a'],
      [4n, 'b'],
    ]);
    expect(scanLog(reordered).stop).toMatchObject({ kind: 'damaged', offset: LOG_HEADER_SIZE + recordSize(1) });
  });

  it('rejects a bad header but accepts an all-zero file as empty', () => {
    const buf = logWith(records);
    buf.write('XXXX', 0, 'latin1');
    expect(scanLog(buf).stop).toMatchObject({ kind: 'damaged', offset: 0 });
    expect(scanLog(Buffer.alloc(64)).stop).toEqual({ kind: 'end' });
  });

  it('tells a torn tail from damage with valid records after it', () => {
    const buf = logWith(records, 100);
    const firstEnd = LOG_HEADER_SIZE + recordSize(3);
    // Garbage at the tail: nothing valid follows the damage.
    const torn = Buffer.from(buf);
    torn.fill(0xab, firstEnd + 5, firstEnd + 40);
    const tornScan = scanLog(torn);
    expect(tornScan.stop.kind).toBe('damaged');
    const tornAt = tornScan.stop.kind === 'damaged' ? tornScan.stop.offset : -1;
    expect(findValidRecordAfter(torn, tornAt, 1n)).toBeNull();
    // The second record damaged, the third intact: found at its real offset.
    const middle = Buffer.from(buf);
    flip(middle, firstEnd + 3, 0xff);
    expect(findValidRecordAfter(middle, firstEnd, 1n)).toBe(firstEnd + recordSize(0));
  });

  it('refuses a zxid of zero, which would read as end of log', () => {
    expect(() => encodeRecordInto(Buffer.alloc(64), 0, 0n, Buffer.alloc(1))).toThrow(RangeError);
  });
});

describe('snapshot format', () => {
  it('gives a snapshot written in pieces the same header as the whole, so it reads back as one', () => {
    const whole = Buffer.from('a snapshot body that arrives in three pieces');
    const pieces = [whole.subarray(0, 5), whole.subarray(5, 20), whole.subarray(20)];
    expect(encodeSnapshotHeader(0x42n, pieces)).toEqual(encodeSnapshotHeader(0x42n, whole));
    const decoded = decodeSnapshot(Buffer.concat([encodeSnapshotHeader(0x42n, pieces), ...pieces]), 0x42n);
    expect(typeof decoded === 'string' ? decoded : decoded.data).toEqual(whole);
  });

  const data = Buffer.from('the serialized tree');
  const file = Buffer.concat([encodeSnapshotHeader(0x42n, data), data]);

  it('round trips and checks name, length and checksum', () => {
    expect(decodeSnapshot(file, 0x42n)).toEqual({ zxid: 0x42n, data });
    expect(decodeSnapshot(file, 0x43n)).toMatch(/does not match/);
    expect(decodeSnapshot(file.subarray(0, file.length - 1), 0x42n)).toMatch(/length/);
    const flipped = Buffer.from(file);
    flip(flipped, flipped.length - 3, 1);
    expect(decodeSnapshot(flipped, 0x42n)).toBe('checksum mismatch');
  });
});

describe('file names', () => {
  it('uses lower-case hex zxids like ZooKeeper and ignores other files', () => {
    expect(zxidFileName('log', 0x1_0000_00abn)).toBe('log.1000000ab');
    expect(zxidFromName('snapshot.ff', 'snapshot')).toBe(255n);
    expect(zxidFromName('snapshot.ff.tmp', 'snapshot')).toBeNull();
    expect(zxidFromName('log.ff', 'snapshot')).toBeNull();
    const sorted = filesByZxid(['log.10', 'log.9', 'log.a', 'acceptedEpoch'], 'log');
    expect(sorted.map((f) => f.name)).toEqual(['log.9', 'log.a', 'log.10']);
  });

  it('keeps the newest log starting at or before a zxid, and all later ones', () => {
    const logs = filesByZxid(['log.1', 'log.20', 'log.40', 'log.60'], 'log');
    expect(logFilesAfter(logs, 0x30n).map((f) => f.name)).toEqual(['log.20', 'log.40', 'log.60']);
    expect(logFilesAfter(logs, 0x40n).map((f) => f.name)).toEqual(['log.40', 'log.60']);
    expect(logFilesAfter(logs, 0n).map((f) => f.name)).toEqual(['log.1', 'log.20', 'log.40', 'log.60']);
  });
});

describe('purge plan', () => {
  const snaps = filesByZxid(['snapshot.10', 'snapshot.20', 'snapshot.30', 'snapshot.40', 'snapshot.50'], 'snapshot');
  const logs = filesByZxid(['log.1', 'log.11', 'log.25', 'log.31', 'log.51'], 'log');

  it('keeps N snapshots and the log that straddles the oldest kept one', () => {
    const plan = planPurge(snaps, logs, 3);
    expect(plan.oldestKeptSnapshotZxid).toBe(0x30n);
    expect(plan.snapshotsToRemove).toEqual(['snapshot.10', 'snapshot.20']);
    // log.25 may hold txns after snapshot.30, so only log.1 and log.11 go.
    expect(plan.logsToRemove).toEqual(['log.1', 'log.11']);
  });

  it('treats a retain count below 3 as 3 and deletes nothing without snapshots', () => {
    expect(planPurge(snaps, logs, 1)).toEqual(planPurge(snaps, logs, 3));
    expect(planPurge([], logs, 3).logsToRemove).toEqual([]);
    expect(planPurge(snaps.slice(0, 2), logs, 3).snapshotsToRemove).toEqual([]);
  });
});

describe('snapshot trigger', () => {
  it('fires after snapCount/2 + random(snapCount/2) txns', () => {
    const trigger = new SnapshotTrigger({ snapCount: 100, snapSizeLimitInKb: 0, random: () => 0.5 });
    expect(trigger.txnThreshold).toBe(75);
    const fired: number[] = [];
    for (let i = 1; i <= 80; i++) if (trigger.recordTxn(10)) fired.push(i);
    expect(fired[0]).toBe(76);
    trigger.reset();
    expect(trigger.recordTxn(10)).toBe(false);
  });

  it('fires on logged bytes when the size limit is set', () => {
    const trigger = new SnapshotTrigger({ snapCount: 1_000_000, snapSizeLimitInKb: 1, random: () => 0 });
    expect(trigger.recordTxn(500)).toBe(false);
    expect(trigger.recordTxn(13)).toBe(true); // > 512 bytes
  });

  it('spreads thresholds across the upper half of snapCount', () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const trigger = new SnapshotTrigger({ snapCount: 1000, random });
    const thresholds = new Set<number>();
    for (let i = 0; i < 50; i++) {
      trigger.reset();
      thresholds.add(trigger.txnThreshold);
      expect(trigger.txnThreshold).toBeGreaterThanOrEqual(500);
      expect(trigger.txnThreshold).toBeLessThan(1000);
    }
    expect(thresholds.size).toBeGreaterThan(10);
  });
});

describe('fsync histogram', () => {
  it('counts observations into buckets', () => {
    const histogram = new DurationHistogram();
    for (const ms of [0.2, 3, 3, 7000]) histogram.observe(ms);
    expect(histogram.count).toBe(4);
    expect(histogram.counts[0]).toBe(1);
    expect(histogram.counts[FSYNC_BUCKETS_MS.indexOf(5)]).toBe(2);
    expect(histogram.counts[FSYNC_BUCKETS_MS.length]).toBe(1);
    expect(histogram.maxMs).toBe(7000);
    expect(histogram.averageMs).toBeCloseTo((0.2 + 6 + 7000) / 4);
  });
});
