// CSV and JSON exports of the audit history, produced as a stream of text chunks so a route handler
// can pipe them out (ReadableStream.from) without holding the whole history in memory.

import type { AuditEventView } from './types.ts';

export type ExportFormat = 'csv' | 'json';

export const CSV_COLUMNS = [
  'id', 'at', 'actor', 'actorType', 'source', 'action', 'status', 'namespace', 'file', 'path',
  'version', 'fromVersion', 'zxid', 'added', 'changed', 'removed', 'comment', 'requestId', 'clientIp',
  'detail', 'before', 'after',
] as const;

/**
 * RFC 4180 quoting. A cell that a spreadsheet would run as a formula (=, +, -, @, tab, CR) gets a
 * leading apostrophe: exported history comes from people and tools we do not control.
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function keysOf(entries: ReadonlyArray<{ key: string }> | undefined): string {
  return (entries ?? []).map((e) => e.key).join(' ');
}

export function csvRow(event: AuditEventView): string {
  const cells: Record<(typeof CSV_COLUMNS)[number], string | number | null> = {
    id: event.id,
    at: event.at,
    actor: event.actor,
    actorType: event.actorType,
    source: event.source,
    action: event.action,
    status: event.status,
    namespace: event.namespace,
    file: event.file,
    path: event.path,
    version: event.version,
    fromVersion: event.fromVersion,
    zxid: event.zxid,
    added: keysOf(event.diff?.added),
    changed: keysOf(event.diff?.changed),
    removed: keysOf(event.diff?.removed),
    comment: event.comment,
    requestId: event.requestId,
    clientIp: event.clientIp,
    detail: event.detail,
    before: event.before,
    after: event.after,
  };
  return CSV_COLUMNS.map((column) => csvCell(cells[column])).join(',') + '\r\n';
}

export async function* exportEvents(events: AsyncIterable<AuditEventView>, format: ExportFormat): AsyncGenerator<string> {
  if (format === 'csv') {
    yield CSV_COLUMNS.join(',') + '\r\n';
    for await (const event of events) yield csvRow(event);
    return;
  }
  let first = true;
  yield '[';
  for await (const event of events) {
    yield (first ? '\n' : ',\n') + JSON.stringify(event);
    first = false;
  }
  yield first ? ']\n' : '\n]\n';
}
