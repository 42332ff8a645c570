import { HistoryView } from '../../../../../../components/HistoryView.tsx';
import { canEdit, requireUser } from '../../../../../../lib/session.ts';

export const dynamic = 'force-dynamic';

export async function generateMetadata({ params }: { params: Promise<{ file: string }> }) {
  return { title: `History of ${decodeURIComponent((await params).file)} · Config Center` };
}

export default async function HistoryPage({ params }: { params: Promise<{ ns: string; file: string }> }) {
  const user = await requireUser();
  const { ns, file } = await params;
  const namespace = decodeURIComponent(ns);
  return <HistoryView namespace={namespace} file={decodeURIComponent(file)} canEdit={canEdit(user, namespace)} />;
}
