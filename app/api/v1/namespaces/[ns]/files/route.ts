import { requireAuthorized } from '../../../../../../server/auth/index.ts';
import { route } from '../../../../../../server/http/handler.ts';
import { namespaceParams } from '../../../../../../server/http/schemas.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = route<{ ns: string }>(async ({ params, principal, configs }) => {
  const { ns } = namespaceParams.parse(params);
  requireAuthorized(principal, 'config:read', ns);
  return Response.json({ files: await (await configs()).listFiles(ns) });
});
