// The audit store against a real SQLite file: intent → confirm, the recorder and the API never
// double-recording a transaction, gaps, cursor pagination, exports and masking for viewers.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../server/db.ts';
import { AuditStore, AuditStateError, MASK, exportEvents, type ChangeIntent } from '../../server/audit/index.ts';

let tmp: string;
let db: Db;
let store: AuditStore;
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'audit-test-'));
  db = await openDatabase(`file:${join(tmp, 'audit.db')}`);
  store = new AuditStore(db);
});
afterAll(async () => {
  await db.$disconnect();
  rmSync(tmp, { recursive: true, force: true });
});

function intent(ns: string, file: string, before: string | null, after: string | null): ChangeIntent {
  return {
    actor: { name: 'alice', type: 'user' }, source: 'ui', action: before === null ? 'create' : 'update',
    namespace: ns, file, path: `/configs/${ns}/${file}`, before, after, comment: 'tune pool', requestId: 'req-1', clientIp: '10.1.1.1',
  };
}

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

describe('intent and confirmation', () => {
  it('records a pending intent with its diff and confirms it with version and zxid', async () => {
    const pending = await store.recordIntent(intent('app', 'db.properties', 'pool=5\nurl=x\n', 'pool=10\nurl=x\nuser=sa\n'));
    expect(pending.status).toBe('pending');
    expect(pending.diff).toEqual({ added: [{ key: 'user', newValue: 'sa' }], changed: [{ key: 'pool', oldValue: '5', newValue: '10' }], removed: [] });
    expect((await store.findPending({ path: '/configs/app/db.properties' })).map((e) => e.id)).toEqual([pending.id]);
    // Pending rows are not history yet.
    expect((await store.query({ path: '/configs/app/db.properties' })).events).toEqual([]);

    const confirmed = await store.confirm(pending.id, { version: 3, zxid: 0x200000005n });
    expect(confirmed).toMatchObject({ status: 'confirmed', version: 3, zxid: '0x200000005', actor: 'alice', comment: 'tune pool' });
    expect(await store.findPending({ path: '/configs/app/db.properties' })).toEqual([]);
    expect((await store.confirm(pending.id, { version: 3, zxid: 0x200000005n })).id).toBe(pending.id);
    await expect(store.confirm(pending.id, { version: 4, zxid: 0x200000006n })).rejects.toThrow(AuditStateError);
    expect((await store.latestChange('/configs/app/db.properties'))?.id).toBe(pending.id);
  });

  it('fails a pending intent, and only a pending one', async () => {
    const pending = await store.recordIntent(intent('app', 'fail.properties', 'a=1\n', 'a=2\n'));
    await store.fail(pending.id, 'version conflict: now 7');
    expect(await store.get(pending.id)).toMatchObject({ status: 'failed', detail: 'version conflict: now 7' });
    await expect(store.fail(pending.id)).rejects.toThrow(AuditStateError);
  });
});

describe('the recorder and the API never double-record', () => {
  const path = '/configs/app/ext.properties';
  const change = { action: 'update' as const, namespace: 'app', file: 'ext.properties', path, version: 1, zxid: 0x300000001n, before: 'a=1\n', after: 'a=2\n' };

  it('recording the same external (path, zxid) twice keeps one row', async () => {
    const first = await store.recordExternal(change);
    const second = await store.recordExternal({ ...change, after: 'ignored' });
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.event.id).toBe(first.event.id);
    expect(first.event).toMatchObject({ actor: 'external', actorType: 'external', source: 'external' });
    expect((await store.query({ path })).events).toHaveLength(1);
  });

  it('the recorder seeing a transaction the API then confirms: one row, with the real author', async () => {
    const pending = await store.recordIntent(intent('app', 'race.properties', 'k=1\n', 'k=2\n'));
    const seen = await store.recordExternal({ ...change, file: 'race.properties', path: '/configs/app/race.properties', zxid: 0x300000009n, version: 2 });
    expect(seen.created).toBe(true);
    await store.confirm(pending.id, { version: 2, zxid: 0x300000009n });
    const rows = (await store.query({ path: '/configs/app/race.properties' })).events;
    expect(rows.map((e) => [e.id, e.actor, e.source])).toEqual([[pending.id, 'alice', 'ui']]);
    const again = await store.recordExternal({ ...change, file: 'race.properties', path: '/configs/app/race.properties', zxid: 0x300000009n, version: 2 });
    expect(again).toMatchObject({ created: false, event: { id: pending.id } });
  });

  it('records a gap once, honestly', async () => {
    const gap = { namespace: 'app', file: 'ext.properties', path, fromVersion: 2, toVersion: 5 };
    const first = await store.recordGap(gap);
    const second = await store.recordGap(gap);
    expect(first.created).toBe(true);
    expect(second).toMatchObject({ created: false, event: { id: first.event.id } });
    expect(first.event).toMatchObject({ action: 'gap', fromVersion: 2, version: 5, zxid: null, before: null, after: null });
    expect(first.event.detail).toMatch(/versions 2\.\.5 .*not observed/);
    await expect(store.recordGap({ ...gap, fromVersion: 6 })).rejects.toThrow(RangeError);
  });
});

describe('queries, pagination, export, masking', () => {
  const base = new Date('2030-01-01T00:00:00Z');
  beforeAll(async () => {
    for (let i = 0; i < 12; i++) {
      await store.recordExternal({
        action: 'update', namespace: i % 2 === 0 ? 'even' : 'odd', file: 'svc.properties', path: `/configs/${i % 2 === 0 ? 'even' : 'odd'}/svc.properties`,
        version: i, zxid: BigInt(0x400000000 + i), before: `n=${i}\ndb.password=old${i}\n`, after: `n=${i + 1}\ndb.password=new${i}\n`,
        // Two events share each timestamp, so the cursor must break ties by id.
        at: new Date(base.getTime() + Math.floor(i / 2) * 1000),
      });
    }
  });

  it('pages newest first with a cursor, without skipping or repeating ties', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<AuditStore['query']>> = await store.query({ since: base }, { cursor, limit: 5 });
      seen.push(...page.events.map((e) => Number(e.zxid)));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(3);
    // Newest first: later timestamp first, and within one timestamp the later row first.
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => 0x400000000 + 11 - i));
    expect(new Set(seen).size).toBe(12);
  });

  it('filters by namespace, actor, source and time window', async () => {
    const even = await store.query({ namespace: 'even', since: base });
    expect(even.events).toHaveLength(6);
    expect(even.events.every((e) => e.namespace === 'even')).toBe(true);
    const window = await store.query({ since: new Date(base.getTime() + 1000), until: new Date(base.getTime() + 3000) });
    expect(window.events.map((e) => e.version).sort((a, b) => a! - b!)).toEqual([2, 3, 4, 5]);
    expect((await store.query({ actor: 'alice', source: 'external' })).events).toEqual([]);
    expect((await store.query({ namespaces: ['odd'], since: base })).events.every((e) => e.namespace === 'odd')).toBe(true);
    await expect(store.query({}, { cursor: 'not-a-cursor' })).rejects.toThrow(RangeError);
  });

  it('masks secret-looking values for viewers, in text and diff', async () => {
    const [event] = (await store.query({ namespace: 'even', since: base }, { limit: 1, maskSecrets: true })).events;
    expect(event!.masked).toBe(true);
    expect(event!.after).toBe(`n=11\ndb.password=${MASK}\n`);
    expect(event!.diff!.changed).toEqual([
      { key: 'n', oldValue: '10', newValue: '11' },
      { key: 'db.password', oldValue: MASK, newValue: MASK },
    ]);
    const [unmasked] = (await store.query({ namespace: 'even', since: base }, { limit: 1 })).events;
    expect(unmasked!.after).toBe('n=11\ndb.password=new10\n');
  });

  it('exports CSV and JSON of every matching event', async () => {
    const csv = await collect(exportEvents(store.scan({ namespace: 'odd', since: base }, { maskSecrets: true }), 'csv'));
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^id,at,actor,/);
    // 6 events, each with a multi-line quoted before/after: count rows by their leading id cell instead.
    expect(csv.match(/\r\n\d+,20\d\d-/g)).toHaveLength(6);
    expect(csv).not.toContain('new1');
    expect(csv).toContain('"n=12\ndb.password=******\n"');
    const json = JSON.parse(await collect(exportEvents(store.scan({ namespace: 'odd', since: base }), 'json'))) as Array<{ version: number; after: string }>;
    expect(json.map((e) => e.version)).toEqual([11, 9, 7, 5, 3, 1]);
    expect(json[0]!.after).toContain('db.password=new11');
    expect(JSON.parse(await collect(exportEvents(store.scan({ namespace: 'none' }), 'json')))).toEqual([]);
  });
});
