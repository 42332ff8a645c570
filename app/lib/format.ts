// Small display helpers shared by pages.

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function relativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '—';
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return iso;
  const seconds = Math.round((now - then) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return new Date(iso).toLocaleDateString();
}

export function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KiB`;
  return `${(size / 1024 / 1024).toFixed(2)} MiB`;
}

export function sourceLabel(source: string): string {
  if (source === 'external') return 'outside the admin';
  if (source === 'ui') return 'admin UI';
  if (source === 'api') return 'API';
  return source;
}

/** Names allowed for namespaces and files (the server checks too; this gives instant feedback). */
export const NAME_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

export function nameProblem(name: string): string | null {
  if (name === '') return 'Enter a name.';
  if (!NAME_PATTERN.test(name)) return 'Use 1–128 letters, digits, dots, dashes or underscores.';
  if (name.includes('..') || name === '.') return 'A name cannot be "." or contain "..".';
  return null;
}
