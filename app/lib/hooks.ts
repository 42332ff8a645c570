'use client';
// SWR hooks over the typed client. Keys are the API paths so a mutate() after a write refreshes
// every component showing the same data.

import { useEffect, useRef } from 'react';
import useSWR, { type SWRConfiguration } from 'swr';
import { api, fileEventsUrl } from './api.ts';
import type { AuditFilter } from './types.ts';

const calm: SWRConfiguration = { revalidateOnFocus: false, shouldRetryOnError: false };

export const keys = {
  namespaces: ['namespaces'] as const,
  files: (ns: string) => ['files', ns] as const,
  file: (ns: string, file: string) => ['file', ns, file] as const,
  history: (ns: string, file: string) => ['history', ns, file] as const,
};

export function useNamespaces() {
  return useSWR(keys.namespaces, () => api.namespaces(), calm);
}

export function useFiles(namespace: string) {
  return useSWR(keys.files(namespace), () => api.files(namespace), calm);
}

export function useFile(namespace: string, file: string) {
  return useSWR(keys.file(namespace, file), () => api.file(namespace, file), calm);
}

export function useHistory(namespace: string, file: string) {
  return useSWR(keys.history(namespace, file), () => api.history(namespace, file), calm);
}

export function useAudit(filter: AuditFilter) {
  return useSWR(['audit', JSON.stringify(filter)], () => api.audit(filter), { ...calm, keepPreviousData: true });
}

/** Node cards refresh on their own: the ensemble's state is what operators watch this page for. */
export function useEnsemble(refreshMs = 3000) {
  return useSWR(['ensemble'], () => api.ensemble(), { ...calm, refreshInterval: refreshMs, keepPreviousData: true });
}

export function useZnode(path: string | null) {
  return useSWR(path === null ? null : ['znode', path], () => api.znode(path!), calm);
}

export interface FileChangeEvent {
  /** null when the file no longer exists. */
  version: number | null;
  deleted: boolean;
  /** Who made this version, when the audit history already knows. */
  actor: string | null;
  at: string | null;
}

function toChangeEvent(data: string): FileChangeEvent | null {
  try {
    const raw = JSON.parse(data) as Record<string, unknown>;
    const pick = (k: string) => (typeof raw[k] === 'string' ? (raw[k] as string) : null);
    return {
      version: typeof raw.version === 'number' ? raw.version : null,
      deleted: raw.exists === false,
      actor: pick('modifiedBy') ?? pick('actor'),
      at: pick('modifiedAt') ?? pick('at'),
    };
  } catch {
    return null;
  }
}

/**
 * Server-Sent Events for one file. EventSource reconnects by itself; the handler is kept in a ref so
 * a re-render does not reopen the stream.
 */
export function useFileEvents(namespace: string, file: string, onChange: (event: FileChangeEvent) => void): void {
  const handler = useRef(onChange);
  handler.current = onChange;
  useEffect(() => {
    if (typeof EventSource === 'undefined') return;
    const source = new EventSource(fileEventsUrl(namespace, file));
    const deliver = (message: MessageEvent<string>) => {
      const event = toChangeEvent(message.data);
      if (event !== null) handler.current(event);
    };
    // `state` opens the stream (and follows every reconnect, revealing a change missed meanwhile); `change` follows each change.
    source.addEventListener('state', deliver as EventListener);
    source.addEventListener('change', deliver as EventListener);
    return () => source.close();
  }, [namespace, file]);
}
