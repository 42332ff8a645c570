import { AuditView } from '../../components/AuditView.tsx';
import { requireUser } from '../../lib/session.ts';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Audit log · Config Center' };

export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  await requireUser();
  const params = await searchParams;
  return <AuditView initial={{ namespace: params.namespace ?? '', file: params.file ?? '', actor: params.actor ?? '', source: params.source ?? '' }} />;
}
