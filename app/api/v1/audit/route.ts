// The audit history: filters, cursor pagination, and CSV/JSON export (?format=csv|json, streamed).
import { authorize, mustMaskSecrets, readableNamespaces, ForbiddenError } from '../../../../server/auth/index.ts';
import { getDb } from '../../../../server/db.ts';
import { AuditStore, exportEvents, type AuditFilter } from '../../../../server/audit/index.ts';
import { route } from '../../../../server/http/handler.ts';
import { auditQuery, queryOf } from '../../../../server/http/schemas.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

function textStream(chunks: AsyncIterable<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const iterator = chunks[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await iterator.next();
      if (done) controller.close();
      else controller.enqueue(encoder.encode(value));
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

export const GET = route(async ({ request, principal }) => {
  const query = auditQuery.parse(queryOf(request));
  const filter: AuditFilter = {};
  if (query.namespace !== undefined) filter.namespace = query.namespace;
  if (query.file !== undefined) filter.file = query.file;
  if (query.actor !== undefined) filter.actor = query.actor;
  if (query.source !== undefined) filter.source = query.source;
  if (query.action !== undefined) filter.action = query.action as AuditFilter['action'];
  if (query.since !== undefined) filter.since = query.since;
  if (query.until !== undefined) filter.until = query.until;
  // A token limited to some namespaces reads their history only.
  const scope = readableNamespaces(principal);
  if (scope !== null) {
    if (query.namespace !== undefined && !scope.includes(query.namespace)) throw new ForbiddenError('history:read', query.namespace);
    filter.namespaces = scope;
  } else if (!authorize(principal, 'audit:read-all')) {
    throw new ForbiddenError('audit:read-all');
  }
  const maskSecrets = mustMaskSecrets(principal, query.namespace);
  const store = new AuditStore(await getDb());
  if (query.format !== undefined) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    return new Response(textStream(exportEvents(store.scan(filter, { maskSecrets }), query.format)), {
      headers: {
        'content-type': query.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
        'content-disposition': `attachment; filename="audit-${stamp}.${query.format}"`,
        'cache-control': 'no-store',
      },
    });
  }
  return Response.json(await store.query(filter, { cursor: query.cursor ?? null, limit: query.limit ?? 50, maskSecrets }));
});
