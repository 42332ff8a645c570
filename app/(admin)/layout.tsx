import type { ReactNode } from 'react';
import { Header } from '../components/Header.tsx';
import { isAdmin, publicUser, requireUser } from '../lib/session.ts';
import '../globals.css';

export const dynamic = 'force-dynamic';

export default async function AdminLayout({ children }: { children: ReactNode }) {
  const user = await requireUser();
  return (
    <>
      <Header user={publicUser(user)} admin={isAdmin(user)} />
      <main>{children}</main>
    </>
  );
}
