// Who the caller is, as the API sees it (role, grants, token scope).
import { instanceRole } from '../../../../server/auth/index.ts';
import { route } from '../../../../server/http/handler.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = route(({ principal, source }) => {
  const base = { name: principal.name, kind: principal.kind, role: principal.role, instanceRole: instanceRole(principal), via: source };
  return Response.json(
    principal.kind === 'user' ? { ...base, grants: Object.fromEntries(principal.grants) } : { ...base, namespaces: principal.namespaces },
  );
});
