import Link from 'next/link';
import { NavLinks } from './NavLinks.tsx';
import { SignOutButton } from './SignOutButton.tsx';
import type { SessionUser } from '../lib/types.ts';

export function Header({ user, admin }: { user: SessionUser; admin: boolean }) {
  const links = [
    { href: '/', label: 'Dashboard' },
    { href: '/audit', label: 'Audit log' },
    ...(admin
      ? [
          { href: '/znodes', label: 'Znodes' },
          { href: '/users', label: 'Users' },
          { href: '/tokens', label: 'API tokens' },
        ]
      : []),
  ];
  return (
    <header className="app-header">
      <Link href="/" className="brand">
        Config Center
      </Link>
      <NavLinks links={links} />
      <div className="user-box">
        <span data-testid="current-user">{user.name}</span>
        <span className="role-badge" data-testid="current-role">
          {user.role}
        </span>
        <SignOutButton />
      </div>
    </header>
  );
}
