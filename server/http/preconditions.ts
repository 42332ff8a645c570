// ETags are the znode version: `"3"`. If-Match carries the version a write expects (compare-and-set);
// If-None-Match: * asks for creation only.

import { HttpError } from './errors.ts';

export function etagOf(version: number): string {
  return `"${version}"`;
}

/** The single version in an If-Match header, or null when absent. Lists and `*` are refused. */
export function expectedVersion(request: Request): number | null {
  const header = request.headers.get('if-match');
  if (header === null) return null;
  const match = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(header);
  if (match === null) throw new HttpError(400, 'invalid_request', `If-Match must be one version ETag like "3", got ${JSON.stringify(header)}`);
  return Number(match[1]);
}

export function requireExpectedVersion(request: Request): number {
  const version = expectedVersion(request);
  if (version === null) {
    throw new HttpError(428, 'precondition_required', 'send If-Match with the version you edited (the ETag of GET), so concurrent edits cannot overwrite each other');
  }
  return version;
}

export function wantsCreate(request: Request): boolean {
  return request.headers.get('if-none-match')?.trim() === '*';
}

/** True when an If-None-Match on a GET already names the current version. */
export function notModified(request: Request, version: number): boolean {
  const header = request.headers.get('if-none-match');
  if (header === null) return false;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etagOf(version));
}
