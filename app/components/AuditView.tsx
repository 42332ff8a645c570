'use client';
import Link from 'next/link';
import { Fragment, useState, type FormEvent } from 'react';
import { auditExportUrl } from '../lib/api.ts';
import { changedKeys } from '../lib/editor-model.ts';
import { formatTime } from '../lib/format.ts';
import { useAudit } from '../lib/hooks.ts';
import type { AuditFilter } from '../lib/types.ts';
import { DiffList } from './DiffList.tsx';
import { SourceBadge } from './SourceBadge.tsx';
import { Empty, ErrorNotice, Loading } from './States.tsx';

interface FormState {
  namespace: string;
  file: string;
  actor: string;
  source: string;
  since: string;
  until: string;
}

const PAGE_SIZE = 25;

/** datetime-local gives local time without a zone; the API wants an instant. */
function toIso(local: string): string | undefined {
  if (local === '') return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function filterOf(form: FormState): AuditFilter {
  return {
    namespace: form.namespace || undefined,
    file: form.file || undefined,
    actor: form.actor || undefined,
    source: form.source || undefined,
    since: toIso(form.since),
    until: toIso(form.until),
    limit: PAGE_SIZE,
  };
}

export function AuditView({ initial }: { initial: Omit<FormState, 'since' | 'until'> }) {
  const [form, setForm] = useState<FormState>({ ...initial, since: '', until: '' });
  const [applied, setApplied] = useState<AuditFilter>(() => filterOf({ ...initial, since: '', until: '' }));
  // Cursors of the pages before this one, so "Newer" can step back.
  const [cursors, setCursors] = useState<string[]>([]);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [open, setOpen] = useState<number | null>(null);
  const { data, error, isLoading, mutate } = useAudit({ ...applied, cursor });

  function apply(event: FormEvent) {
    event.preventDefault();
    setApplied(filterOf(form));
    setCursor(undefined);
    setCursors([]);
  }

  const field = (key: keyof FormState, label: string, type = 'text') => (
    <div className="field">
      <label htmlFor={`audit-${key}`}>{label}</label>
      <input id={`audit-${key}`} type={type} value={form[key]} onChange={(e) => setForm({ ...form, [key]: e.target.value })} />
    </div>
  );

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Audit log</h1>
          <p className="muted small">Every change, including those made outside the admin.</p>
        </div>
        <div className="actions">
          <a className="button" href={auditExportUrl(applied, 'csv')} download>
            Export CSV
          </a>
          <a className="button" href={auditExportUrl(applied, 'json')} download>
            Export JSON
          </a>
        </div>
      </div>
      <section className="panel">
        <form onSubmit={apply} aria-label="Filter the audit log">
          <div className="filters">
            {field('namespace', 'Namespace')}
            {field('file', 'File')}
            {field('actor', 'Actor')}
            <div className="field">
              <label htmlFor="audit-source">Source</label>
              <select id="audit-source" value={form.source} onChange={(e) => setForm({ ...form, source: e.target.value })}>
                <option value="">Any</option>
                <option value="ui">Admin UI</option>
                <option value="api">API</option>
                <option value="external">External</option>
                <option value="system">System</option>
              </select>
            </div>
            {field('since', 'From', 'datetime-local')}
            {field('until', 'Until', 'datetime-local')}
          </div>
          <div className="actions">
            <button type="submit" className="primary">
              Apply filters
            </button>
            <button
              type="button"
              onClick={() => {
                const cleared = { namespace: '', file: '', actor: '', source: '', since: '', until: '' };
                setForm(cleared);
                setApplied(filterOf(cleared));
                setCursor(undefined);
                setCursors([]);
              }}
            >
              Clear
            </button>
          </div>
        </form>
      </section>
      <section className="panel">
        {isLoading && !data ? <Loading what="the audit log" /> : null}
        {error ? <ErrorNotice error={error} retry={() => void mutate()} /> : null}
        {data && data.events.length === 0 ? <Empty>No changes match these filters.</Empty> : null}
        {data && data.events.length > 0 ? (
          <div className="table-wrap">
            <table aria-label="Audit events">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Source</th>
                  <th scope="col">Action</th>
                  <th scope="col">File</th>
                  <th scope="col" className="num">
                    Version
                  </th>
                  <th scope="col" className="hide-narrow">
                    Keys / details
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.events.map((event) => {
                  const keys = event.diff ? [...changedKeys(event.diff)] : [];
                  return (
                    <Fragment key={event.id}>
                      <tr data-testid="audit-row" data-source={event.source} data-actor={event.actor} data-action={event.action}>
                        <td>{formatTime(event.at)}</td>
                        <td>{event.actor}</td>
                        <td>
                          <SourceBadge source={event.source} />
                        </td>
                        <td>{event.action}</td>
                        <td>
                          {event.namespace && event.file ? (
                            <Link href={`/namespaces/${encodeURIComponent(event.namespace)}/files/${encodeURIComponent(event.file)}`}>
                              {event.namespace}/{event.file}
                            </Link>
                          ) : (
                            (event.path ?? '—')
                          )}
                        </td>
                        <td className="num">
                          {event.fromVersion !== null ? `${event.fromVersion}–` : ''}
                          {event.version ?? '—'}
                        </td>
                        <td className="hide-narrow small">
                          {event.diff && keys.length > 0 ? (
                            <button type="button" className="link" aria-expanded={open === event.id} onClick={() => setOpen(open === event.id ? null : event.id)}>
                              {keys.length} key{keys.length === 1 ? '' : 's'}
                            </button>
                          ) : null}
                          {event.comment ? <span> “{event.comment}”</span> : null}
                          {event.detail ? <span className="muted"> {event.detail}</span> : null}
                        </td>
                      </tr>
                      {open === event.id && event.diff && keys.length > 0 ? (
                        <tr>
                          <td colSpan={7}>
                            <DiffList diff={event.diff} />
                          </td>
                        </tr>
                      ) : null}
                    </Fragment>
                  );
                })}
              </tbody>
            </table>
          </div>
        ) : null}
        <div className="actions" style={{ marginTop: 12, justifyContent: 'flex-end' }}>
          <button
            type="button"
            disabled={cursors.length === 0 && cursor === undefined}
            onClick={() => {
              const previous = [...cursors];
              const back = previous.pop();
              setCursors(previous);
              setCursor(back === '' ? undefined : back);
            }}
          >
            Newer
          </button>
          <button
            type="button"
            disabled={!data?.nextCursor}
            onClick={() => {
              setCursors([...cursors, cursor ?? '']);
              setCursor(data?.nextCursor ?? undefined);
            }}
          >
            Older
          </button>
        </div>
      </section>
    </>
  );
}
