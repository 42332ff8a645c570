import { EnsembleCards } from '../components/EnsembleCards.tsx';
import { NamespaceList } from '../components/NamespaceList.tsx';
import { RecentChanges } from '../components/RecentChanges.tsx';
import { isAdmin, requireUser } from '../lib/session.ts';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Dashboard · Config Center' };

export default async function DashboardPage() {
  const user = await requireUser();
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Dashboard</h1>
          <p className="muted small">Namespaces, the ensemble, and what changed lately.</p>
        </div>
      </div>
      <EnsembleCards />
      <div className="grid-2">
        <NamespaceList canCreate={isAdmin(user)} />
        <RecentChanges />
      </div>
    </>
  );
}
