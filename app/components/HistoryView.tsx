'use client';
import Link from 'next/link';
import { useMemo, useState } from 'react';
import { api } from '../lib/api.ts';
import { changedKeys, keyDiff } from '../lib/editor-model.ts';
import { formatTime } from '../lib/format.ts';
import { useHistory } from '../lib/hooks.ts';
import type { AuditEvent } from '../lib/types.ts';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import { DiffList } from './DiffList.tsx';
import { SourceBadge } from './SourceBadge.tsx';
import { Empty, ErrorNotice, Loading, errorText } from './States.tsx';

interface Props {
  namespace: string;
  file: string;
  canEdit: boolean;
}

/** Versions whose full text the audit holds, newest first. Gap rows have no text and cannot be compared. */
function versionsOf(events: AuditEvent[]): AuditEvent[] {
  return events.filter((e) => e.version !== null && e.action !== 'delete' && e.after !== null);
}

export function HistoryView({ namespace, file, canEdit }: Props) {
  const { data: events, error, isLoading, mutate } = useHistory(namespace, file);
  const versions = useMemo(() => versionsOf(events ?? []), [events]);
  const [fromId, setFromId] = useState<number | null>(null);
  const [toId, setToId] = useState<number | null>(null);
  const [rollingBack, setRollingBack] = useState<AuditEvent | null>(null);
  const [notice, setNotice] = useState<{ tone: 'ok' | 'error'; text: string } | null>(null);

  const latest = versions[0] ?? null;
  const to = versions.find((v) => v.id === toId) ?? latest;
  const from = versions.find((v) => v.id === fromId) ?? versions.find((v) => to && v.version !== null && to.version !== null && v.version < to.version) ?? null;
  const compared = useMemo(() => (from && to ? keyDiff(from.after ?? '', to.after ?? '') : null), [from, to]);
  const fileHref = `/namespaces/${encodeURIComponent(namespace)}/files/${encodeURIComponent(file)}`;

  async function rollback(target: AuditEvent) {
    try {
      const current = await api.file(namespace, file);
      await api.rollback(namespace, file, target.version!, current.version, `Roll back to version ${target.version}`);
      setNotice({ tone: 'ok', text: `Rolled back to the contents of version ${target.version}.` });
    } catch (e) {
      setNotice({ tone: 'error', text: errorText(e) });
    }
    setRollingBack(null);
    void mutate();
  }

  return (
    <>
      <div className="page-head">
        <div>
          <div className="crumbs">
            <Link href="/">Dashboard</Link> / <Link href={`/namespaces/${encodeURIComponent(namespace)}`}>{namespace}</Link> /{' '}
            <Link href={fileHref}>{file}</Link> / history
          </div>
          <h1>History of {file}</h1>
        </div>
        <Link className="button" href={fileHref}>
          Open editor
        </Link>
      </div>
      {notice ? (
        <div className={`notice ${notice.tone}`} role={notice.tone === 'error' ? 'alert' : 'status'} data-testid="history-notice">
          {notice.text}
        </div>
      ) : null}
      {isLoading ? <Loading what="history" /> : null}
      {error ? <ErrorNotice error={error} retry={() => void mutate()} /> : null}
      {events && events.length === 0 ? <Empty>No recorded changes for this file.</Empty> : null}
      {events && events.length > 0 ? (
        <div className="grid-2">
          <section className="panel" aria-labelledby="timeline-title">
            <h2 id="timeline-title">Timeline</h2>
            <ol className="timeline">
              {events.map((event) => {
                const keys = event.diff ? [...changedKeys(event.diff)] : [];
                const restorable = canEdit && event.after !== null && event.version !== null && event.id !== latest?.id;
                return (
                  <li key={event.id} className={event.source === 'external' ? 'external' : undefined} data-version={event.version ?? ''}>
                    <div className="actions" style={{ justifyContent: 'space-between' }}>
                      <strong>
                        {event.action === 'gap' || event.fromVersion !== null
                          ? `Versions ${event.fromVersion ?? '?'}–${event.version ?? '?'} not observed`
                          : `Version ${event.version ?? '—'}`}
                      </strong>
                      <span className="small muted">{formatTime(event.at)}</span>
                    </div>
                    <div className="small">
                      {event.action} by <strong>{event.actor}</strong> <SourceBadge source={event.source} />
                    </div>
                    {event.comment ? <div className="small">“{event.comment}”</div> : null}
                    {event.detail ? <div className="small muted">{event.detail}</div> : null}
                    {keys.length > 0 ? (
                      <div className="small muted mono">
                        {keys.slice(0, 8).join(', ')}
                        {keys.length > 8 ? ` and ${keys.length - 8} more` : ''}
                      </div>
                    ) : null}
                    <div className="actions" style={{ marginTop: 4 }}>
                      {event.after !== null && event.version !== null ? (
                        <>
                          <button type="button" className="link small" onClick={() => setFromId(event.id)}>
                            Compare from
                          </button>
                          <button type="button" className="link small" onClick={() => setToId(event.id)}>
                            Compare to
                          </button>
                        </>
                      ) : null}
                      {restorable ? (
                        <button type="button" className="small" onClick={() => setRollingBack(event)}>
                          Roll back to this version
                        </button>
                      ) : null}
                    </div>
                  </li>
                );
              })}
            </ol>
          </section>
          <section className="panel" aria-labelledby="compare-title">
            <h2 id="compare-title">Compare versions</h2>
            {versions.length < 2 ? (
              <p className="muted">Two versions with recorded contents are needed to compare.</p>
            ) : (
              <>
                <div className="row" style={{ marginBottom: 12 }}>
                  <div className="field">
                    <label htmlFor="cmp-from">From</label>
                    <select id="cmp-from" value={from?.id ?? ''} onChange={(e) => setFromId(Number(e.target.value))}>
                      {versions.map((v) => (
                        <option key={v.id} value={v.id}>
                          v{v.version} · {v.actor}
                        </option>
                      ))}
                    </select>
                  </div>
                  <div className="field">
                    <label htmlFor="cmp-to">To</label>
                    <select id="cmp-to" value={to?.id ?? ''} onChange={(e) => setToId(Number(e.target.value))}>
                      {versions.map((v) => (
                        <option key={v.id} value={v.id}>
                          v{v.version} · {v.actor}
                        </option>
                      ))}
                    </select>
                  </div>
                </div>
                {compared ? <DiffList diff={compared} /> : null}
              </>
            )}
          </section>
        </div>
      ) : null}
      <ConfirmDialog
        open={rollingBack !== null}
        title={`Roll back to version ${rollingBack?.version ?? ''}?`}
        confirmLabel="Roll back"
        onCancel={() => setRollingBack(null)}
        onConfirm={() => (rollingBack ? rollback(rollingBack) : undefined)}
      >
        <p>The file gets the contents it had at that version, as a new version. Nothing is lost: this is recorded too.</p>
      </ConfirmDialog>
    </>
  );
}
