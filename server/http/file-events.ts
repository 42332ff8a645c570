// Changes of one file for clients that cannot speak ZooKeeper's protocol: a Server-Sent Events stream,
// or a long-poll that answers as soon as the version differs from the one the client has. Both ride
// on one-time watches of the shared session, re-armed after every change (a change made between the
// event and the re-arm is seen by the read that re-arms, so none is missed; bursts may coalesce).

import type { ConfigFile, ConfigService } from '../configs/index.ts';
import { NotFoundError } from '../configs/index.ts';
import { maskPropertiesText } from '../audit/index.ts';

export interface FileState {
  namespace: string;
  file: string;
  exists: boolean;
  version: number | null;
  zxid: string | null;
  modifiedAt: string | null;
  modifiedBy: string | null;
  text: string | null;
}

const HEARTBEAT_MS = 15_000;

async function stateOf(service: ConfigService, namespace: string, file: string, mask: boolean): Promise<FileState> {
  let loaded: ConfigFile;
  try {
    loaded = await service.loadFile(namespace, file);
  } catch (error) {
    if (error instanceof NotFoundError) return { namespace, file, exists: false, version: null, zxid: null, modifiedAt: null, modifiedBy: null, text: null };
    throw error;
  }
  return {
    namespace,
    file,
    exists: true,
    version: loaded.version,
    zxid: loaded.zxid,
    modifiedAt: loaded.modifiedAt,
    modifiedBy: loaded.modifiedBy,
    text: mask ? maskPropertiesText(loaded.text) : loaded.text,
  };
}

/** Resolves on the next change (or after `timeoutMs`, or on abort) with the state then. */
function nextChange(service: ConfigService, namespace: string, file: string, timeoutMs: number, signal: AbortSignal): Promise<'changed' | 'timeout' | 'aborted'> & { armed: Promise<string | null> } {
  let settle: (how: 'changed' | 'timeout' | 'aborted') => void = () => {};
  const done = new Promise<'changed' | 'timeout' | 'aborted'>((resolve) => (settle = resolve));
  const timer = setTimeout(() => settle('timeout'), timeoutMs);
  const onAbort = (): void => settle('aborted');
  signal.addEventListener('abort', onAbort, { once: true });
  void done.then(() => {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  });
  const armed = service.watchVersion(namespace, file, () => settle('changed')).then((v) => v?.zxid ?? null);
  return Object.assign(done, { armed });
}

/** Long-poll: the state as soon as its version differs from `knownVersion`, or after `waitSeconds`. */
export async function waitForVersion(
  service: ConfigService,
  namespace: string,
  file: string,
  knownVersion: number | null,
  waitSeconds: number,
  mask: boolean,
  signal: AbortSignal,
): Promise<{ changed: boolean; state: FileState }> {
  const deadline = Date.now() + waitSeconds * 1000;
  for (;;) {
    const change = nextChange(service, namespace, file, Math.max(0, deadline - Date.now()), signal);
    await change.armed;
    const state = await stateOf(service, namespace, file, mask);
    const current = state.exists ? state.version : -1;
    if (current !== (knownVersion ?? -1)) return { changed: true, state };
    const how = await change;
    if (how !== 'changed') return { changed: false, state };
  }
}

/** An SSE stream: `event: state` first, then `event: change` for every change, comments as heartbeats. */
export function fileEventStream(service: ConfigService, namespace: string, file: string, mask: boolean, signal: AbortSignal): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const closed = new AbortController();
  signal.addEventListener('abort', () => closed.abort(), { once: true });
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (event: string, data: unknown, id?: string | null): void => {
        if (closed.signal.aborted) return;
        controller.enqueue(encoder.encode(`${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
      };
      const heartbeat = setInterval(() => {
        if (!closed.signal.aborted) controller.enqueue(encoder.encode(`: keep-alive\n\n`));
      }, HEARTBEAT_MS);
      try {
        controller.enqueue(encoder.encode('retry: 2000\n\n'));
        let last: string | null = null;
        let first = true;
        while (!closed.signal.aborted) {
          const change = nextChange(service, namespace, file, HEARTBEAT_MS * 4, closed.signal);
          await change.armed;
          const state = await stateOf(service, namespace, file, mask);
          const key = state.exists ? state.zxid : `deleted`;
          if (first) send('state', state, state.zxid);
          else if (key !== last) send('change', state, state.zxid);
          first = false;
          last = key;
          await change;
        }
      } catch (error) {
        send('error', { code: 'ensemble_unavailable', message: (error as Error).message });
      } finally {
        clearInterval(heartbeat);
        try {
          controller.close();
        } catch {
          // Already closed by the client going away.
        }
      }
    },
    cancel() {
      closed.abort();
    },
  });
}
