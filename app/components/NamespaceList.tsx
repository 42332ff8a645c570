'use client';
import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import { api } from '../lib/api.ts';
import { nameProblem, relativeTime, formatTime } from '../lib/format.ts';
import { useNamespaces } from '../lib/hooks.ts';
import { Empty, ErrorNotice, Loading, errorText } from './States.tsx';

export function NamespaceList({ canCreate }: { canCreate: boolean }) {
  const { data: namespaces, error, isLoading, mutate } = useNamespaces();
  return (
    <section className="panel" aria-labelledby="ns-title">
      <div className="panel-head">
        <h2 id="ns-title">Namespaces</h2>
      </div>
      {canCreate ? <CreateNamespace onCreated={() => void mutate()} /> : null}
      {isLoading ? <Loading what="namespaces" /> : null}
      {error ? <ErrorNotice error={error} retry={() => void mutate()} /> : null}
      {namespaces && namespaces.length === 0 ? (
        <Empty>{canCreate ? 'No namespaces yet. Create the first one above.' : 'No namespaces yet.'}</Empty>
      ) : null}
      {namespaces && namespaces.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Namespace</th>
                <th scope="col" className="num">
                  Files
                </th>
                <th scope="col">Last change</th>
                <th scope="col">By</th>
              </tr>
            </thead>
            <tbody>
              {namespaces.map((ns) => (
                <tr key={ns.name}>
                  <td>
                    <Link href={`/namespaces/${encodeURIComponent(ns.name)}`}>{ns.name}</Link>
                    {ns.description ? <div className="muted small">{ns.description}</div> : null}
                  </td>
                  <td className="num">{ns.fileCount ?? '—'}</td>
                  <td title={formatTime(ns.lastChangeAt)}>{relativeTime(ns.lastChangeAt)}</td>
                  <td>{ns.lastChangeBy ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

function CreateNamespace({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const problem = nameProblem(name);
    if (problem) return setError(problem);
    setBusy(true);
    setError(null);
    try {
      await api.createNamespace(name, description);
      setName('');
      setDescription('');
      onCreated();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="row" style={{ marginBottom: 14 }} aria-label="Create namespace">
      <div className="field">
        <label htmlFor="new-ns">New namespace</label>
        <input id="new-ns" type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder="payments" />
      </div>
      <div className="field">
        <label htmlFor="new-ns-desc">Description (optional)</label>
        <input id="new-ns-desc" type="text" value={description} onChange={(e) => setDescription(e.target.value)} />
      </div>
      <button type="submit" className="primary" disabled={busy}>
        Create namespace
      </button>
      {error ? (
        <p className="field-error" role="alert" style={{ width: '100%' }}>
          {error}
        </p>
      ) : null}
    </form>
  );
}
