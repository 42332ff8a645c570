import { requireAuthorized, readableNamespaces } from '../../../../server/auth/index.ts';
import { route } from '../../../../server/http/handler.ts';
import { createNamespaceBody } from '../../../../server/http/schemas.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = route(async ({ principal, configs }) => {
  const visible = readableNamespaces(principal);
  const namespaces = (await (await configs()).listNamespaces()).filter((ns) => visible === null || visible.includes(ns.name));
  return Response.json({ namespaces });
});

export const POST = route(async ({ request, principal, configs }) => {
  requireAuthorized(principal, 'namespace:create');
  const body = createNamespaceBody.parse(await request.json().catch(() => null));
  const metadata = { description: body.description ?? null, owners: body.owners ?? [] };
  const namespace = await (await configs()).createNamespace(body.name, metadata, principal.name);
  return Response.json({ namespace }, { status: 201, headers: { location: `/api/v1/namespaces/${encodeURIComponent(body.name)}` } });
});
