import { listApiTokens } from '../../../server/auth/index.ts';
import { getDb } from '../../../server/db.ts';
import { TokensAdmin } from '../../components/TokensAdmin.tsx';
import { requireAdmin } from '../../lib/session.ts';
import { createTokenAction, revokeTokenAction } from './actions.ts';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'API tokens · Config Center' };

export default async function TokensPage() {
  await requireAdmin();
  const tokens = (await listApiTokens(await getDb())).map((t) => ({
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    role: t.role,
    namespaces: t.namespaces,
    createdBy: t.createdBy,
    createdAt: t.createdAt.toISOString(),
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
    revokedAt: t.revokedAt?.toISOString() ?? null,
  }));
  return <TokensAdmin tokens={tokens} create={createTokenAction} revoke={revokeTokenAction} />;
}
