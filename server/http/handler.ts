// The frame of every route handler: a request id, authentication, the handler itself, and one error
// mapping. Handlers stay a few lines: validate, authorize, call server/, shape the answer.

import { randomUUID } from 'node:crypto';
import type { Principal } from '../auth/index.ts';
import type { ConfigService, WriteContext } from '../configs/index.ts';
import { getConfigService } from '../zk.ts';
import { authenticate, type Caller } from './auth.ts';
import { clientIp } from './client-ip.ts';
import { toErrorResponse } from './errors.ts';

export interface HandlerContext<P> {
  request: Request;
  params: P;
  requestId: string;
  ip: string;
}

export interface AuthedContext<P> extends HandlerContext<P>, Caller {
  /** The config service over the process-wide ensemble session (503 when it cannot be reached). */
  configs(): Promise<ConfigService>;
  /** Who and where, for the audit row of a change. */
  writeContext(comment?: string | null): WriteContext;
}

type RouteArgs<P> = { params: Promise<P> };

function withRequestId(response: Response, requestId: string): Response {
  try {
    response.headers.set('x-request-id', requestId);
    return response;
  } catch {
    // Immutable headers (a Response.redirect): leave them.
    return response;
  }
}

/** A handler anyone may call (the OpenAPI document). */
export function publicRoute<P = Record<string, never>>(fn: (ctx: HandlerContext<P>) => Promise<Response> | Response) {
  return async (request: Request, args: RouteArgs<P>): Promise<Response> => {
    const requestId = request.headers.get('x-request-id') ?? randomUUID();
    try {
      const params = (await args?.params) ?? ({} as P);
      return withRequestId(await fn({ request, params, requestId, ip: clientIp(request) }), requestId);
    } catch (error) {
      return withRequestId(toErrorResponse(error, requestId), requestId);
    }
  };
}

export function actorOf(principal: Principal): WriteContext['actor'] {
  return { name: principal.name, type: principal.kind === 'token' ? 'token' : 'user' };
}

/** A handler for authenticated callers only. */
export function route<P = Record<string, never>>(fn: (ctx: AuthedContext<P>) => Promise<Response> | Response) {
  return publicRoute<P>(async (base) => {
    const caller = await authenticate(base.request);
    let service: Promise<ConfigService> | null = null;
    return fn({
      ...base,
      ...caller,
      configs: () => (service ??= getConfigService()),
      writeContext: (comment) => ({
        actor: actorOf(caller.principal),
        source: caller.source,
        comment: comment ?? base.request.headers.get('x-comment') ?? null,
        requestId: base.requestId,
        clientIp: base.ip,
      }),
    });
  });
}
