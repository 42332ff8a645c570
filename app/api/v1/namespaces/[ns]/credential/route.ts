// Rotates the namespace's read-only ZooKeeper credential for SDK subscribers; the password is shown once.
import { requireAuthorized } from '../../../../../../server/auth/index.ts';
import { route } from '../../../../../../server/http/handler.ts';
import { namespaceParams } from '../../../../../../server/http/schemas.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const POST = route<{ ns: string }>(async ({ params, principal, configs }) => {
  const { ns } = namespaceParams.parse(params);
  requireAuthorized(principal, 'credential:rotate', ns);
  const issued = await (await configs()).rotateCredential(ns, principal.name);
  return Response.json(
    { credential: { namespace: issued.namespace, user: issued.user, password: issued.password, auth: `${issued.user}:${issued.password}` } },
    { headers: { 'cache-control': 'no-store' } },
  );
});
