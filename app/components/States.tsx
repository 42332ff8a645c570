// Loading, empty and error states in plain words, shared by every page.
import type { ReactNode } from 'react';
import { ApiError } from '../lib/api.ts';

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 503) return `The ensemble is unavailable (503): ${error.message}`;
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

export function ErrorNotice({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div className="notice error" role="alert">
      {errorText(error)}
      {retry ? (
        <div className="actions">
          <button type="button" onClick={retry}>
            Try again
          </button>
        </div>
      ) : null}
    </div>
  );
}
