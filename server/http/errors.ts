// Every error answers the same JSON shape, { error: { code, message, ...details } }, with a status
// from one table: config errors carry theirs, authentication and authorisation errors map here.

import { ZodError } from 'zod';
import { ForbiddenError } from '../auth/authorize.ts';
import { AuditStateError } from '../audit/store.ts';
import { ConfigError, UnavailableError, AccessDeniedError } from '../configs/errors.ts';
import { isZkError, ErrorCode } from '../../ensemble/client/index.ts';

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const unauthorized = (message = 'sign in, or send Authorization: Bearer <api token>'): HttpError =>
  new HttpError(401, 'unauthorized', message, {}, { 'www-authenticate': 'Bearer realm="config-center"' });

export function errorResponse(status: number, code: string, message: string, details: Record<string, unknown> = {}, headers: Record<string, string> = {}): Response {
  return Response.json({ error: { code, message, ...details } }, { status, headers: { 'cache-control': 'no-store', ...headers } });
}

function zodMessage(error: ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.message}`).join('; ');
}

/** Maps anything a handler throws to a response; unexpected errors are logged and answer 500 without details. */
export function toErrorResponse(error: unknown, requestId?: string): Response {
  if (error instanceof HttpError) return errorResponse(error.status, error.code, error.message, error.details, error.headers);
  if (error instanceof ConfigError) {
    const retry = error instanceof UnavailableError || error instanceof AccessDeniedError ? { 'retry-after': String(error.retryAfterSeconds) } : undefined;
    return errorResponse(error.status, error.code, error.message, error.details(), retry);
  }
  if (error instanceof ForbiddenError) return errorResponse(403, 'forbidden', error.message);
  if (error instanceof ZodError) return errorResponse(400, 'invalid_request', zodMessage(error));
  if (error instanceof RangeError && /cursor/.test(error.message)) return errorResponse(400, 'invalid_request', error.message);
  if (isZkError(error) && (error.code === ErrorCode.CONNECTIONLOSS || error.code === ErrorCode.SESSIONEXPIRED)) {
    return errorResponse(503, 'ensemble_unavailable', error.message, {}, { 'retry-after': '5' });
  }
  if (error instanceof AuditStateError) return errorResponse(409, 'audit_state', error.message);
  console.error(`request ${requestId ?? '?'} failed:`, error);
  return errorResponse(500, 'internal', `internal error (request ${requestId ?? 'unknown'})`);
}
