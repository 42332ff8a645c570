import { requireAuthorized } from '../../../../../../../../server/auth/index.ts';
import { route } from '../../../../../../../../server/http/handler.ts';
import { etagOf, expectedVersion } from '../../../../../../../../server/http/preconditions.ts';
import { fileParams, rollbackBody } from '../../../../../../../../server/http/schemas.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Writes an audited version's text as a new version; If-Match (optional) guards against a concurrent edit. */
export const POST = route<{ ns: string; file: string }>(async ({ request, params, principal, configs, writeContext }) => {
  const { ns, file } = fileParams.parse(params);
  requireAuthorized(principal, 'config:write', ns);
  const body = rollbackBody.parse(await request.json().catch(() => null));
  const target = (body.version ?? body.toVersion)!;
  const result = await (await configs()).rollback(ns, file, target, expectedVersion(request), writeContext(body.comment));
  return Response.json({ file: result }, { headers: result.version === null ? {} : { etag: etagOf(result.version) } });
});
