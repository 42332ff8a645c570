import { getDb } from '../../../server/db.ts';
import { UsersAdmin, type UserRow } from '../../components/UsersAdmin.tsx';
import { requireAdmin } from '../../lib/session.ts';
import { createUserAction, resetPasswordAction, setDisabledAction, setGrantsAction, setRoleAction } from './actions.ts';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Users · Config Center' };

export default async function UsersPage() {
  const me = await requireAdmin();
  const db = await getDb();
  const users = await db.user.findMany({ orderBy: { name: 'asc' }, include: { grants: { orderBy: { namespace: 'asc' } } } });
  const rows: UserRow[] = users.map((u) => ({
    name: u.name,
    role: u.role,
    disabled: u.disabled,
    createdAt: u.createdAt.toISOString(),
    grants: u.grants.map((g) => ({ namespace: g.namespace, role: g.role })),
  }));
  return (
    <UsersAdmin
      me={me.name}
      users={rows}
      actions={{ create: createUserAction, setRole: setRoleAction, setGrants: setGrantsAction, setDisabled: setDisabledAction, resetPassword: resetPasswordAction }}
    />
  );
}
