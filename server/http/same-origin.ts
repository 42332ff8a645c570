// Session cookies ride along on cross-site requests; a mutating request authenticated by one must come
// from a page of this admin. The Origin header (or, failing that, Referer) must name the host the
// request was sent to. Bearer-token requests are not cookie-borne and need no such check.

import { HttpError } from './errors.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function hostOf(url: string): string | null {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return null;
  }
}

export function checkSameOrigin(request: Request): void {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return;
  const host = (request.headers.get('x-forwarded-host') ?? request.headers.get('host'))?.split(',')[0]?.trim().toLowerCase();
  const origin = request.headers.get('origin');
  const referer = request.headers.get('referer');
  const from = origin !== null && origin !== 'null' ? hostOf(origin) : referer !== null ? hostOf(referer) : null;
  if (host === undefined || from === null || from !== host) {
    throw new HttpError(403, 'cross_origin', 'a request with a session cookie must come from this admin (Origin does not match Host)');
  }
}
