'use client';
import { useState, type FormEvent } from 'react';
import { signIn } from 'next-auth/react';

export function LoginForm({ next }: { next: string }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const name = String(form.get('username') ?? '');
    const password = String(form.get('password') ?? '');
    setBusy(true);
    setError(null);
    const result = await signIn('credentials', { redirect: false, username: name, name, password });
    setBusy(false);
    if (result?.ok && !result.error) {
      // A full load, so the server renders the pages with the new session cookie.
      window.location.assign(next);
      return;
    }
    setError(
      result?.error && /lock|many|throttl|retry/i.test(result.error)
        ? 'Too many failed attempts. Wait a few minutes and try again.'
        : 'That user name and password do not match.',
    );
  }

  return (
    <form onSubmit={submit} noValidate>
      {error ? (
        <div className="notice error" role="alert">
          {error}
        </div>
      ) : null}
      <div className="field">
        <label htmlFor="username">User name</label>
        <input id="username" name="username" type="text" autoComplete="username" required autoFocus />
      </div>
      <div className="field">
        <label htmlFor="password">Password</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required />
      </div>
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
