import { requireAuthorized } from '../../../../../server/auth/index.ts';
import { route } from '../../../../../server/http/handler.ts';
import { namespaceParams, queryOf } from '../../../../../server/http/schemas.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = route<{ ns: string }>(async ({ params, principal, configs }) => {
  const { ns } = namespaceParams.parse(params);
  requireAuthorized(principal, 'config:read', ns);
  return Response.json({ namespace: await (await configs()).getNamespace(ns) });
});

/** Refused while the namespace holds files, unless ?force=true (then each file's delete is audited). */
export const DELETE = route<{ ns: string }>(async ({ request, params, principal, configs, writeContext }) => {
  const { ns } = namespaceParams.parse(params);
  requireAuthorized(principal, 'namespace:delete', ns);
  const force = queryOf(request).force === 'true';
  await (await configs()).deleteNamespace(ns, writeContext(), { force });
  return new Response(null, { status: 204 });
});
