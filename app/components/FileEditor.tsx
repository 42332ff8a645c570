'use client';
// The file editor: table and raw views over one draft text, review before save, compare-and-set
// with the version the draft started from, conflict handling, and live updates while open.

import Link from 'next/link';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError } from '../lib/api.ts';
import { diffSize, keyDiff, mergeNonOverlapping, problemsOf, removeKey, renameKey, rowsOf, setValue } from '../lib/editor-model.ts';
import { formatTime } from '../lib/format.ts';
import { useFile, useFileEvents, type FileChangeEvent } from '../lib/hooks.ts';
import type { ConfigFile } from '../lib/types.ts';
import { PropertiesTable } from './PropertiesTable.tsx';
import { RawEditor } from './RawEditor.tsx';
import { ReviewDialog } from './ReviewDialog.tsx';
import { ErrorNotice, Loading, errorText } from './States.tsx';

interface Props {
  namespace: string;
  file: string;
  canEdit: boolean;
  /** Shown as the author of versions saved from this page. */
  userName: string;
}

interface Base {
  text: string;
  version: number;
  modifiedBy: string | null;
  modifiedAt: string | null;
}

/** The stored file moved on while the draft was open (a live event or a refused save). */
interface Remote extends Base {
  kind: 'live' | 'conflict';
}

type Notice = { tone: 'ok' | 'info' | 'warn' | 'error'; text: string } | null;

/**
 * Who made `version`, from the file's history; asked a few times because the audit row may land a moment
 * after the change (the recorder writes it for changes made outside the admin). null after ~6 s.
 */
async function authorOf(namespace: string, file: string, version: number): Promise<string | null> {
  for (let attempt = 0; attempt < 12; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const events = await api.history(namespace, file).catch(() => null);
    const match = events?.find((e) => e.version === version && e.status === 'confirmed');
    if (match) return match.actor;
  }
  return null;
}

const baseOf = (f: ConfigFile): Base => ({ text: f.text, version: f.version, modifiedBy: f.modifiedBy, modifiedAt: f.modifiedAt });

export function FileEditor({ namespace, file, canEdit, userName }: Props) {
  const { data, error, isLoading, mutate } = useFile(namespace, file);
  const [base, setBase] = useState<Base | null>(null);
  const [draft, setDraft] = useState('');
  const [view, setView] = useState<'table' | 'raw'>('table');
  const [reviewing, setReviewing] = useState(false);
  const [saving, setSaving] = useState(false);
  const [remote, setRemote] = useState<Remote | null>(null);
  const [notice, setNotice] = useState<Notice>(null);
  const [deleted, setDeleted] = useState<string | null>(null);

  // First load only: later server data arrives through live events and saves, never over a draft.
  useEffect(() => {
    if (data && base === null) {
      setBase(baseOf(data));
      setDraft(data.text);
    }
  }, [data, base]);

  const dirty = base !== null && draft !== base.text;
  const problems = useMemo(() => problemsOf(draft), [draft]);
  const errorCount = problems.filter((p) => p.severity === 'error').length;
  const diff = useMemo(() => keyDiff(base?.text ?? '', draft), [base, draft]);
  const dirtyRef = useRef(dirty);
  dirtyRef.current = dirty;
  const baseRef = useRef(base);
  baseRef.current = base;

  const adopt = useCallback((current: Base) => {
    setBase(current);
    setDraft(current.text);
    setRemote(null);
  }, []);

  const onLiveChange = useCallback(
    async (event: FileChangeEvent) => {
      const known = baseRef.current;
      if (known === null) return;
      if (event.deleted) {
        setDeleted(event.actor ?? 'Someone');
        return;
      }
      if (event.version === null || event.version <= known.version) return;
      let current: ConfigFile;
      try {
        current = await api.file(namespace, file);
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) setDeleted(event.actor ?? 'Someone');
        return;
      }
      if (current.version <= (baseRef.current?.version ?? known.version)) return;
      void mutate(current, { revalidate: false });
      const next = baseOf(current);
      const describe = (who: string | null) =>
        `Updated live to version ${current.version}${who ? ` by ${who}` : ''}${who === 'external' ? ' (outside the admin)' : ''}.`;
      if (!dirtyRef.current) {
        adopt(next);
        setNotice({ tone: 'info', text: describe(next.modifiedBy) });
      } else {
        setRemote({ ...next, kind: 'live' });
      }
      if (next.modifiedBy === null) {
        // The audit row that names the author may land a moment after the change itself.
        const who = await authorOf(namespace, file, current.version);
        if (who === null) return;
        setBase((b) => (b !== null && b.version === current.version ? { ...b, modifiedBy: who } : b));
        setRemote((r) => (r !== null && r.version === current.version ? { ...r, modifiedBy: who } : r));
        setNotice((n) => (n !== null && n.text === describe(null) ? { tone: 'info', text: describe(who) } : n));
      }
    },
    [namespace, file, mutate, adopt],
  );
  useFileEvents(namespace, file, (event) => void onLiveChange(event));

  async function save(comment: string) {
    if (!base || !canEdit) return;
    setSaving(true);
    try {
      const version = await api.saveFile(namespace, file, draft, base.version, comment);
      const fresh = version === null ? await api.file(namespace, file) : null;
      const saved: Base = { text: draft, version: fresh?.version ?? version ?? base.version + 1, modifiedBy: userName, modifiedAt: new Date().toISOString() };
      setBase(saved);
      setRemote(null);
      setReviewing(false);
      setNotice({ tone: 'ok', text: `Saved as version ${saved.version}.` });
      void mutate();
    } catch (e) {
      setReviewing(false);
      if (e instanceof ApiError && e.isConflict) {
        await showConflict(e);
      } else {
        setNotice({ tone: 'error', text: errorText(e) });
      }
    } finally {
      setSaving(false);
    }
  }

  async function showConflict(conflict: ApiError) {
    try {
      const current = await api.file(namespace, file);
      const by = typeof conflict.details.actor === 'string' ? conflict.details.actor : typeof conflict.details.modifiedBy === 'string' ? conflict.details.modifiedBy : current.modifiedBy;
      setRemote({ ...baseOf(current), modifiedBy: by, kind: 'conflict' });
      setNotice(null);
    } catch (e) {
      setNotice({ tone: 'error', text: `${conflict.message} ${errorText(e)}` });
    }
  }

  function reload() {
    if (!remote) return;
    adopt(remote);
    setNotice({ tone: 'info', text: `Reloaded version ${remote.version}. Your unsaved changes were discarded.` });
  }

  function merge() {
    if (!remote || !base) return;
    const result = mergeNonOverlapping(base.text, draft, remote.text);
    setBase(remote);
    setDraft(result.text);
    setRemote(null);
    setNotice(
      result.overlapping.length === 0
        ? { tone: 'ok', text: `Merged your changes onto version ${remote.version}. Review and save.` }
        : { tone: 'warn', text: `Merged onto version ${remote.version}; these keys were changed on both sides and keep the stored value: ${result.overlapping.join(', ')}. Review and save.` },
    );
  }

  // Ctrl/Cmd+S: opens the review, and saves when the review is already open.
  const reviewingRef = useRef(reviewing);
  reviewingRef.current = reviewing;
  useEffect(() => {
    if (!canEdit) return;
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
        event.preventDefault();
        if (dirtyRef.current && errorCount === 0) {
          if (reviewingRef.current) document.getElementById('review-save')?.click();
          else setReviewing(true);
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [canEdit, errorCount]);

  // Leaving with unsaved edits loses them; the browser asks first.
  useEffect(() => {
    if (!dirty) return;
    const onLeave = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', onLeave);
    return () => window.removeEventListener('beforeunload', onLeave);
  }, [dirty]);

  if (isLoading && base === null) return <Loading what={file} />;
  if (error && base === null) return <ErrorNotice error={error} retry={() => void mutate()} />;
  if (base === null) return <Loading what={file} />;

  const historyHref = `/namespaces/${encodeURIComponent(namespace)}/files/${encodeURIComponent(file)}/history`;
  return (
    <>
      <div className="page-head">
        <div>
          <div className="crumbs">
            <Link href="/">Dashboard</Link> / <Link href={`/namespaces/${encodeURIComponent(namespace)}`}>{namespace}</Link> / file
          </div>
          <h1>{file}</h1>
          <p className="muted small" data-testid="file-version">
            Version {base.version}
            {base.modifiedBy ? ` · last changed by ${base.modifiedBy}` : ''}
            {base.modifiedAt ? ` · ${formatTime(base.modifiedAt)}` : ''}
            {!canEdit ? ' · read-only' : ''}
          </p>
        </div>
        <div className="actions">
          <Link className="button" href={historyHref}>
            History
          </Link>
          {canEdit ? (
            <>
              <button type="button" disabled={!dirty} onClick={() => adopt(base)}>
                Discard changes
              </button>
              <button type="button" className="primary" disabled={!dirty || errorCount > 0} onClick={() => setReviewing(true)} title="Ctrl+S">
                Review changes{dirty ? ` (${diffSize(diff)})` : ''}
              </button>
            </>
          ) : null}
        </div>
      </div>

      {deleted ? (
        <div className="notice error" role="alert">
          {deleted} deleted this file. Saving will recreate nothing; copy what you need from the raw view.
        </div>
      ) : null}

      {remote ? (
        <div className={`notice ${remote.kind === 'conflict' ? 'error' : 'warn'}`} role="alert" data-testid={remote.kind === 'conflict' ? 'conflict-banner' : 'live-banner'}>
          {remote.kind === 'conflict' ? 'Not saved: ' : ''}
          <strong>{remote.modifiedBy ?? 'Someone'}</strong> changed this file
          {remote.modifiedAt ? ` at ${formatTime(remote.modifiedAt)}` : ''} (now version {remote.version}) while you were editing.
          {remote.kind === 'live' ? ' Saving now would conflict.' : ''}
          <div className="actions">
            <button type="button" onClick={reload}>
              Reload their version
            </button>
            <button type="button" className="primary" onClick={merge}>
              Merge my non-overlapping changes
            </button>
          </div>
        </div>
      ) : null}

      {data?.notUtf8 ? (
        <div className="notice warn" role="status" data-testid="not-utf8-notice">
          This file holds bytes that are not valid UTF-8 (it was written outside the admin). They are shown as �, and
          saving from here would store that character in their place.
        </div>
      ) : null}

      {notice ? (
        <div className={`notice ${notice.tone}`} role={notice.tone === 'error' ? 'alert' : 'status'} data-testid="editor-notice">
          {notice.text}
        </div>
      ) : null}

      <section className="panel">
        <div className="tabs" role="tablist" aria-label="Editor view">
          <button type="button" role="tab" aria-selected={view === 'table'} onClick={() => setView('table')}>
            Table
          </button>
          <button type="button" role="tab" aria-selected={view === 'raw'} onClick={() => setView('raw')}>
            Raw text{errorCount > 0 ? ` (${errorCount} error${errorCount > 1 ? 's' : ''})` : ''}
          </button>
        </div>
        {view === 'table' ? (
          <>
            {errorCount > 0 ? (
              <div className="notice error" role="alert">
                {problems
                  .filter((p) => p.severity === 'error')
                  .map((p) => `Line ${p.line}: ${p.message}`)
                  .join(' · ')}{' '}
                — fix it in the raw text view; that line is not shown here.
              </div>
            ) : null}
            <PropertiesTable
              text={draft}
              baseText={base.text}
              canEdit={canEdit}
              onSet={(key, value) => setDraft((t) => setValue(t, key, value))}
              onRemove={(key) => setDraft((t) => removeKey(t, key))}
              onRename={(oldKey, newKey) => setDraft((t) => renameKey(t, oldKey, newKey, rowsOf(t).find((r) => r.key === oldKey)?.value ?? ''))}
            />
          </>
        ) : (
          <RawEditor text={draft} readOnly={!canEdit} onChange={setDraft} />
        )}
      </section>

      {canEdit ? (
        <ReviewDialog open={reviewing} diff={diff} version={base.version} saving={saving} onCancel={() => setReviewing(false)} onSave={(comment) => void save(comment)} />
      ) : null}
    </>
  );
}
