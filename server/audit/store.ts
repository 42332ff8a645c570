// The audit history in SQLite. Two writers feed it: the admin (an intent before each ensemble write,
// confirmed with the transaction's zxid after) and the recorder process (every change it sees in
// the ensemble that has no confirmed row). (path, zxid) is unique, so whichever writes second finds the
// first's row instead of adding another; the admin's row wins because it knows who made the change.

import { diffProperties } from '../properties/index.ts';
import { isUniqueViolation, type Db, type Prisma } from '../db.ts';
import type { AuditEvent } from '../../prisma/generated/client/client.ts';
import { maskDiff, maskPropertiesText } from './mask.ts';
import type {
  AuditDiff,
  AuditEventView,
  AuditFilter,
  AuditPage,
  AuthEvent,
  ChangeIntent,
  ExternalChange,
  GapRecord,
  ViewOptions,
} from './types.ts';

export class AuditStateError extends Error {
  override name = 'AuditStateError';
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

function diffJson(before: string | null, after: string | null): string {
  return JSON.stringify(diffProperties(before ?? '', after ?? ''));
}

export function formatZxid(zxid: bigint): string {
  return `0x${zxid.toString(16)}`;
}

export function toView(row: AuditEvent, options: ViewOptions = {}): AuditEventView {
  const mask = options.maskSecrets === true;
  const diff = row.diff === null ? null : (JSON.parse(row.diff) as AuditDiff);
  return {
    id: row.id,
    at: row.at.toISOString(),
    actor: row.actor,
    actorType: row.actorType,
    source: row.source,
    action: row.action,
    namespace: row.namespace,
    file: row.file,
    path: row.path,
    version: row.version,
    fromVersion: row.fromVersion,
    zxid: row.zxid === null ? null : formatZxid(row.zxid),
    before: mask && row.before !== null ? maskPropertiesText(row.before) : row.before,
    after: mask && row.after !== null ? maskPropertiesText(row.after) : row.after,
    diff: mask && diff !== null ? maskDiff(diff) : diff,
    comment: row.comment,
    requestId: row.requestId,
    clientIp: row.clientIp,
    status: row.status,
    detail: row.detail,
    masked: mask,
  };
}

interface Cursor {
  atMs: number;
  id: number;
}

function encodeCursor(row: AuditEvent): string {
  return Buffer.from(`${row.at.getTime()}.${row.id}`).toString('base64url');
}

function decodeCursor(cursor: string): Cursor {
  const match = /^(\d+)\.(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (match === null) throw new RangeError('invalid audit cursor');
  return { atMs: Number(match[1]), id: Number(match[2]) };
}

function whereOf(filter: AuditFilter): Prisma.AuditEventWhereInput {
  const and: Prisma.AuditEventWhereInput[] = [];
  if (filter.namespace !== undefined) and.push({ namespace: filter.namespace });
  if (filter.namespaces !== undefined) and.push({ namespace: { in: [...filter.namespaces] } });
  if (filter.file !== undefined) and.push({ file: filter.file });
  if (filter.path !== undefined) and.push({ path: filter.path });
  if (filter.actor !== undefined) and.push({ actor: filter.actor });
  if (filter.source !== undefined) and.push({ source: filter.source });
  if (filter.action !== undefined) and.push({ action: filter.action });
  const status = filter.status ?? 'confirmed';
  if (status !== 'any') and.push({ status });
  if (filter.since !== undefined) and.push({ at: { gte: filter.since } });
  if (filter.until !== undefined) and.push({ at: { lt: filter.until } });
  return { AND: and };
}

export class AuditStore {
  constructor(private readonly db: Db) {}

  /** Written before the ensemble write, so a crash between the two leaves a trace the recorder resolves. */
  async recordIntent(intent: ChangeIntent): Promise<AuditEventView> {
    const row = await this.db.auditEvent.create({
      data: {
        actor: intent.actor.name,
        actorType: intent.actor.type,
        source: intent.source,
        action: intent.action,
        namespace: intent.namespace,
        file: intent.file,
        path: intent.path,
        before: intent.before,
        after: intent.after,
        diff: diffJson(intent.before, intent.after),
        comment: intent.comment ?? null,
        requestId: intent.requestId ?? null,
        clientIp: intent.clientIp ?? null,
        status: 'pending',
      },
    });
    return toView(row);
  }

  /**
   * Marks an intent as done by transaction `zxid`. If the recorder already recorded that transaction as an
   * external change, its row is replaced by this one (same change, but now with its real author).
   */
  async confirm(id: number, result: { version: number; zxid: bigint }): Promise<AuditEventView> {
    const row = await this.db.$transaction(async (tx) => {
      const intent = await tx.auditEvent.findUnique({ where: { id } });
      if (intent === null) throw new AuditStateError(`audit event ${id} does not exist`);
      if (intent.status === 'confirmed' && intent.zxid === result.zxid) return intent;
      if (intent.status !== 'pending') throw new AuditStateError(`audit event ${id} is ${intent.status}, not pending`);
      await tx.auditEvent.deleteMany({
        where: { path: intent.path, zxid: result.zxid, source: 'external', id: { not: id } },
      });
      return tx.auditEvent.update({
        where: { id },
        data: { status: 'confirmed', version: result.version, zxid: result.zxid, at: new Date() },
      });
    });
    return toView(row);
  }

  /** The write did not happen (conflict, ensemble error). Only a pending row can fail. */
  async fail(id: number, reason?: string): Promise<void> {
    const { count } = await this.db.auditEvent.updateMany({
      where: { id, status: 'pending' },
      data: { status: 'failed', detail: reason ?? null },
    });
    if (count === 0) throw new AuditStateError(`audit event ${id} is not pending`);
  }

  /** A change seen in the ensemble. Recording the same (path, zxid) twice returns the first row. */
  async recordExternal(change: ExternalChange): Promise<{ event: AuditEventView; created: boolean }> {
    try {
      const row = await this.db.auditEvent.create({
        data: {
          actor: change.actor ?? 'external',
          actorType: 'external',
          source: 'external',
          action: change.action,
          namespace: change.namespace,
          file: change.file,
          path: change.path,
          version: change.version,
          zxid: change.zxid,
          before: change.before,
          after: change.after,
          diff: diffJson(change.before, change.after),
          status: 'confirmed',
          ...(change.at === undefined ? {} : { at: change.at }),
        },
      });
      return { event: toView(row), created: true };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const existing = await this.db.auditEvent.findFirst({ where: { path: change.path, zxid: change.zxid } });
      if (existing === null) throw error;
      return { event: toView(existing), created: false };
    }
  }

  /** Versions changed while nobody watched: say so instead of inventing their contents. Idempotent. */
  async recordGap(gap: GapRecord): Promise<{ event: AuditEventView; created: boolean }> {
    if (!Number.isInteger(gap.fromVersion) || !Number.isInteger(gap.toVersion) || gap.fromVersion > gap.toVersion) {
      throw new RangeError(`invalid gap ${gap.fromVersion}..${gap.toVersion}`);
    }
    const versions = gap.fromVersion === gap.toVersion ? `version ${gap.fromVersion}` : `versions ${gap.fromVersion}..${gap.toVersion}`;
    try {
      const row = await this.db.auditEvent.create({
        data: {
          actor: 'external',
          actorType: 'external',
          source: 'external',
          action: 'gap',
          namespace: gap.namespace,
          file: gap.file,
          path: gap.path,
          fromVersion: gap.fromVersion,
          version: gap.toVersion,
          status: 'confirmed',
          detail: `${versions} changed outside the admin while no recorder was watching; contents not observed`,
          ...(gap.at === undefined ? {} : { at: gap.at }),
        },
      });
      return { event: toView(row), created: true };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const existing = await this.db.auditEvent.findFirst({
        where: { path: gap.path, fromVersion: gap.fromVersion, version: gap.toVersion },
      });
      if (existing === null) throw error;
      return { event: toView(existing), created: false };
    }
  }

  async recordAuthEvent(event: AuthEvent): Promise<AuditEventView> {
    const row = await this.db.auditEvent.create({
      data: {
        actor: event.actor,
        actorType: event.actorType,
        source: event.source,
        action: event.action,
        detail: event.detail ?? null,
        requestId: event.requestId ?? null,
        clientIp: event.clientIp ?? null,
        status: 'confirmed',
      },
    });
    return toView(row);
  }

  /** Intents never confirmed nor failed, oldest first: the recorder resolves those older than a grace period. */
  async findPending(options: { olderThan?: Date; path?: string } = {}): Promise<AuditEventView[]> {
    const rows = await this.db.auditEvent.findMany({
      where: {
        status: 'pending',
        ...(options.path === undefined ? {} : { path: options.path }),
        ...(options.olderThan === undefined ? {} : { at: { lt: options.olderThan } }),
      },
      orderBy: { id: 'asc' },
    });
    return rows.map((row) => toView(row));
  }

  /** The newest confirmed change of a znode (by zxid): the recorder's starting point after a restart. */
  async latestChange(path: string): Promise<AuditEventView | null> {
    const row = await this.db.auditEvent.findFirst({
      where: { path, status: 'confirmed', zxid: { not: null } },
      orderBy: { zxid: 'desc' },
    });
    return row === null ? null : toView(row);
  }

  async get(id: number, options: ViewOptions = {}): Promise<AuditEventView | null> {
    const row = await this.db.auditEvent.findUnique({ where: { id } });
    return row === null ? null : toView(row, options);
  }

  /** Newest first; `cursor` continues after the last event of the previous page. */
  async query(
    filter: AuditFilter = {},
    page: { cursor?: string | null; limit?: number } & ViewOptions = {},
  ): Promise<AuditPage> {
    const limit = Math.min(Math.max(Math.trunc(page.limit ?? DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE);
    const where = whereOf(filter);
    if (page.cursor) {
      const { atMs, id } = decodeCursor(page.cursor);
      const at = new Date(atMs);
      (where.AND as Prisma.AuditEventWhereInput[]).push({ OR: [{ at: { lt: at } }, { at, id: { lt: id } }] });
    }
    const rows = await this.db.auditEvent.findMany({
      where,
      orderBy: [{ at: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    const hasMore = rows.length > limit;
    const pageRows = hasMore ? rows.slice(0, limit) : rows;
    const last = pageRows.at(-1);
    return {
      events: pageRows.map((row) => toView(row, page)),
      nextCursor: hasMore && last !== undefined ? encodeCursor(last) : null,
    };
  }

  /** Every matching event, newest first, a page at a time (exports must not load the whole history). */
  async *scan(filter: AuditFilter = {}, options: ViewOptions = {}): AsyncGenerator<AuditEventView> {
    let cursor: string | null = null;
    do {
      const page: AuditPage = await this.query(filter, { ...options, cursor, limit: MAX_PAGE_SIZE });
      yield* page.events;
      cursor = page.nextCursor;
    } while (cursor !== null);
  }
}
