import { redirect } from 'next/navigation';
import { currentUser } from '../lib/session.ts';
import { LoginForm } from './LoginForm.tsx';
import '../globals.css';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Sign in · Config Center' };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string }> }) {
  if ((await currentUser()) !== null) redirect('/');
  const { callbackUrl } = await searchParams;
  // Only same-site paths: an absolute callback URL would make the sign-in page an open redirect.
  const next = callbackUrl?.startsWith('/') && !callbackUrl.startsWith('//') ? callbackUrl : '/';
  return (
    <div className="login-wrap">
      <main className="login-card">
        <h1>Config Center</h1>
        <p className="muted small">Sign in to manage configuration files.</p>
        <LoginForm next={next} />
      </main>
    </div>
  );
}
