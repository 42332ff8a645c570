import { ZnodeBrowser } from '../../components/ZnodeBrowser.tsx';
import { requireAdmin } from '../../lib/session.ts';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Znodes · Config Center' };

export default async function ZnodesPage() {
  await requireAdmin();
  return <ZnodeBrowser />;
}
