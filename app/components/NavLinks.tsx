'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';

export function NavLinks({ links }: { links: Array<{ href: string; label: string }> }) {
  const pathname = usePathname();
  const isCurrent = (href: string) => (href === '/' ? pathname === '/' : pathname.startsWith(href));
  return (
    <nav className="app-nav" aria-label="Main">
      {links.map((link) => (
        <Link key={link.href} href={link.href} aria-current={isCurrent(link.href) ? 'page' : undefined}>
          {link.label}
        </Link>
      ))}
    </nav>
  );
}
