// Request validation: path segments, bodies and query strings, with zod.

import { z } from 'zod';
import { nameProblem } from '../configs/names.ts';

export const nameSchema = (kind: string) =>
  z.string().superRefine((value, ctx) => {
    const problem = nameProblem(value);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: `invalid ${kind} name: ${problem}` });
  });

export const namespaceParams = z.object({ ns: nameSchema('namespace') });
export const fileParams = z.object({ ns: nameSchema('namespace'), file: nameSchema('file') });

export const createNamespaceBody = z.object({
  name: nameSchema('namespace'),
  description: z.string().max(1000).optional(),
  owners: z.array(z.string().max(128)).max(50).optional(),
});

const comment = z.string().max(1000).nullish();

export const putFileBody = z.object({ text: z.string(), comment });

export const patchFileBody = z
  .object({
    set: z.record(z.string(), z.string()).optional(),
    remove: z.array(z.string()).optional(),
    comment,
  })
  .refine((b) => Object.keys(b.set ?? {}).length + (b.remove ?? []).length > 0, { message: 'set or remove at least one key' });

export const rollbackBody = z
  .object({ version: z.number().int().min(0).optional(), toVersion: z.number().int().min(0).optional(), comment })
  .refine((b) => b.version !== undefined || b.toVersion !== undefined, { message: 'name the version to roll back to' });

const isoDate = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO 8601 date' })
  .transform((s) => new Date(s));

export const auditQuery = z.object({
  namespace: nameSchema('namespace').optional(),
  file: nameSchema('file').optional(),
  actor: z.string().max(200).optional(),
  source: z.enum(['ui', 'api', 'external', 'system']).optional(),
  action: z.string().max(32).optional(),
  since: isoDate.optional(),
  until: isoDate.optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  format: z.enum(['csv', 'json']).optional(),
});

export const historyQuery = z.object({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

export const eventsQuery = z.object({
  /** Long-poll: wait up to this many seconds for a version other than `version`. */
  wait: z.coerce.number().min(0).max(120).optional(),
  version: z.coerce.number().int().min(-1).optional(),
});

/** The query string as a plain object (last value wins), for zod. */
export function queryOf(request: Request): Record<string, string> {
  return Object.fromEntries(new URL(request.url).searchParams);
}
