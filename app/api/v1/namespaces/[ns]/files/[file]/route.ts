// One properties file. GET answers JSON (or the raw text for Accept: text/x-java-properties) with
// ETag = znode version; PUT replaces it under If-Match (or creates it under If-None-Match: *);
// PATCH sets/removes keys; DELETE needs If-Match. Every write is compare-and-set: a stale version is 409.

import { mustMaskSecrets, requireAuthorized } from '../../../../../../../server/auth/index.ts';
import { maskPropertiesText } from '../../../../../../../server/audit/index.ts';
import { route } from '../../../../../../../server/http/handler.ts';
import { HttpError } from '../../../../../../../server/http/errors.ts';
import { etagOf, expectedVersion, notModified, requireExpectedVersion, wantsCreate } from '../../../../../../../server/http/preconditions.ts';
import { fileParams, patchFileBody, putFileBody } from '../../../../../../../server/http/schemas.ts';
import type { WriteResult } from '../../../../../../../server/configs/index.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Params = { ns: string; file: string };
const PROPERTIES_TYPE = 'text/x-java-properties';

function written(result: WriteResult, status = 200): Response {
  return Response.json({ file: result }, { status, headers: result.version === null ? {} : { etag: etagOf(result.version) } });
}

export const GET = route<Params>(async ({ request, params, principal, configs }) => {
  const { ns, file } = fileParams.parse(params);
  requireAuthorized(principal, 'config:read', ns);
  const loaded = await (await configs()).loadFile(ns, file);
  const masked = mustMaskSecrets(principal, ns);
  const text = masked ? maskPropertiesText(loaded.text) : loaded.text;
  const headers = { etag: etagOf(loaded.version), 'cache-control': 'no-cache', vary: 'accept, authorization, cookie' };
  if (notModified(request, loaded.version)) return new Response(null, { status: 304, headers });
  if ((request.headers.get('accept') ?? '').includes(PROPERTIES_TYPE)) {
    return new Response(text, { headers: { ...headers, 'content-type': `${PROPERTIES_TYPE}; charset=utf-8` } });
  }
  return Response.json({ file: { ...loaded, text, masked } }, { headers });
});

/** The new text, from a JSON body {text, comment} or a raw properties body (comment in X-Comment). */
async function textOf(request: Request): Promise<{ text: string; comment: string | null }> {
  const type = request.headers.get('content-type') ?? '';
  if (type.includes('application/json')) {
    const body = putFileBody.parse(await request.json().catch(() => null));
    return { text: body.text, comment: body.comment ?? null };
  }
  if (type.includes(PROPERTIES_TYPE) || type.startsWith('text/plain')) return { text: await request.text(), comment: null };
  throw new HttpError(415, 'unsupported_media_type', `send application/json {"text": ...} or ${PROPERTIES_TYPE}`);
}

export const PUT = route<Params>(async ({ request, params, principal, configs, writeContext }) => {
  const { ns, file } = fileParams.parse(params);
  requireAuthorized(principal, 'config:write', ns);
  const { text, comment } = await textOf(request);
  const service = await configs();
  if (wantsCreate(request)) return written(await service.createFile(ns, file, text, writeContext(comment)), 201);
  const version = requireExpectedVersion(request);
  return written(await service.replaceFile(ns, file, text, version, writeContext(comment)));
});

export const PATCH = route<Params>(async ({ request, params, principal, configs, writeContext }) => {
  const { ns, file } = fileParams.parse(params);
  requireAuthorized(principal, 'config:write', ns);
  const body = patchFileBody.parse(await request.json().catch(() => null));
  const patch = { set: body.set ?? {}, remove: body.remove ?? [] };
  return written(await (await configs()).patchFile(ns, file, patch, expectedVersion(request), writeContext(body.comment)));
});

export const DELETE = route<Params>(async ({ request, params, principal, configs, writeContext }) => {
  const { ns, file } = fileParams.parse(params);
  requireAuthorized(principal, 'config:write', ns);
  const version = requireExpectedVersion(request);
  await (await configs()).deleteFile(ns, file, version, writeContext());
  return new Response(null, { status: 204 });
});
