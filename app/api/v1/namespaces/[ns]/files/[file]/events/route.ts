// Changes of one file without ZooKeeper's protocol: Server-Sent Events by default, or a long-poll with
// ?wait=<seconds>&version=<the version you have> that answers as soon as the version differs.

import { mustMaskSecrets, requireAuthorized } from '../../../../../../../../server/auth/index.ts';
import { route } from '../../../../../../../../server/http/handler.ts';
import { fileEventStream, waitForVersion } from '../../../../../../../../server/http/file-events.ts';
import { eventsQuery, fileParams, queryOf } from '../../../../../../../../server/http/schemas.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = route<{ ns: string; file: string }>(async ({ request, params, principal, configs }) => {
  const { ns, file } = fileParams.parse(params);
  requireAuthorized(principal, 'config:read', ns);
  const query = eventsQuery.parse(queryOf(request));
  const service = await configs();
  const mask = mustMaskSecrets(principal, ns);
  if (query.wait !== undefined) {
    const result = await waitForVersion(service, ns, file, query.version ?? null, query.wait, mask, request.signal);
    return Response.json(result, { headers: { 'cache-control': 'no-store' } });
  }
  return new Response(fileEventStream(service, ns, file, mask, request.signal), {
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' },
  });
});
