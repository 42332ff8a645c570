import { mustMaskSecrets, requireAuthorized } from '../../../../../../../../server/auth/index.ts';
import { getDb } from '../../../../../../../../server/db.ts';
import { AuditStore } from '../../../../../../../../server/audit/index.ts';
import { route } from '../../../../../../../../server/http/handler.ts';
import { fileParams, historyQuery, queryOf } from '../../../../../../../../server/http/schemas.ts';
import { filePath } from '../../../../../../../../server/configs/index.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** The file's audited changes, newest first, a page at a time (includes changes made outside the admin). */
export const GET = route<{ ns: string; file: string }>(async ({ request, params, principal }) => {
  const { ns, file } = fileParams.parse(params);
  requireAuthorized(principal, 'history:read', ns);
  const query = historyQuery.parse(queryOf(request));
  const page = await new AuditStore(await getDb()).query(
    { path: filePath(ns, file) },
    { cursor: query.cursor ?? null, limit: query.limit ?? 100, maskSecrets: mustMaskSecrets(principal, ns) },
  );
  return Response.json(page);
});
