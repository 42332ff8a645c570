'use client';
import Link from 'next/link';
import { useState, type ChangeEvent, type FormEvent } from 'react';
import { api } from '../lib/api.ts';
import { problemsOf } from '../lib/editor-model.ts';
import { formatBytes, formatTime, nameProblem, relativeTime } from '../lib/format.ts';
import { useFiles } from '../lib/hooks.ts';
import type { FileSummary } from '../lib/types.ts';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import { Empty, ErrorNotice, Loading, errorText } from './States.tsx';

export function FileList({ namespace, canEdit }: { namespace: string; canEdit: boolean }) {
  const { data: files, error, isLoading, mutate } = useFiles(namespace);
  const [deleting, setDeleting] = useState<FileSummary | null>(null);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const fileHref = (name: string) => `/namespaces/${encodeURIComponent(namespace)}/files/${encodeURIComponent(name)}`;

  return (
    <section className="panel" aria-labelledby="files-title">
      <div className="panel-head">
        <h2 id="files-title">Files</h2>
      </div>
      {canEdit ? <CreateFile namespace={namespace} onCreated={() => void mutate()} /> : null}
      {isLoading ? <Loading what="files" /> : null}
      {error ? <ErrorNotice error={error} retry={() => void mutate()} /> : null}
      {deleteError ? (
        <div className="notice error" role="alert">
          {deleteError}
        </div>
      ) : null}
      {files && files.length === 0 ? <Empty>This namespace has no files yet.</Empty> : null}
      {files && files.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col" className="num">
                  Version
                </th>
                <th scope="col">Modified</th>
                <th scope="col" className="hide-narrow">
                  By
                </th>
                {canEdit ? (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {files.map((file) => (
                <tr key={file.name}>
                  <td>
                    <Link href={fileHref(file.name)}>{file.name}</Link>
                  </td>
                  <td className="num">{formatBytes(file.size)}</td>
                  <td className="num">{file.version}</td>
                  <td title={formatTime(file.modifiedAt)}>{relativeTime(file.modifiedAt)}</td>
                  <td className="hide-narrow">{file.modifiedBy ?? '—'}</td>
                  {canEdit ? (
                    <td>
                      <button type="button" className="link" onClick={() => setDeleting(file)} aria-label={`Delete ${file.name}`}>
                        Delete
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete ${deleting?.name ?? ''}?`}
        confirmLabel="Delete file"
        onCancel={() => setDeleting(null)}
        onConfirm={async () => {
          if (!deleting) return;
          try {
            await api.deleteFile(namespace, deleting.name, deleting.version);
            setDeleteError(null);
          } catch (e) {
            setDeleteError(errorText(e));
          }
          setDeleting(null);
          void mutate();
        }}
      >
        <p>
          Version {deleting?.version} will be removed; applications subscribed to it see it disappear. You can restore it from the
          audit history.
        </p>
      </ConfirmDialog>
    </section>
  );
}

function CreateFile({ namespace, onCreated }: { namespace: string; onCreated: () => void }) {
  const [name, setName] = useState('');
  const [text, setText] = useState('');
  const [uploaded, setUploaded] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onUpload(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    if (!file) return;
    const content = await file.text();
    setText(content);
    setUploaded(file.name);
    if (name === '') setName(file.name);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const problem = nameProblem(name);
    if (problem) return setError(problem);
    const firstError = problemsOf(text).find((p) => p.severity === 'error');
    if (firstError) return setError(`The uploaded file has an error at line ${firstError.line}: ${firstError.message}`);
    setBusy(true);
    setError(null);
    try {
      await api.createFile(namespace, name, text, uploaded ? `uploaded ${uploaded}` : 'created empty');
      setName('');
      setText('');
      setUploaded(null);
      onCreated();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="row" style={{ marginBottom: 14 }} aria-label="Create file">
      <div className="field">
        <label htmlFor="new-file">New file</label>
        <input id="new-file" type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder="app.properties" />
      </div>
      <div className="field">
        <label htmlFor="upload-file">Upload .properties (optional)</label>
        <input id="upload-file" type="file" accept=".properties,text/plain" onChange={(e) => void onUpload(e)} />
      </div>
      <button type="submit" className="primary" disabled={busy}>
        {uploaded ? 'Create from upload' : 'Create empty file'}
      </button>
      {error ? (
        <p className="field-error" role="alert" style={{ width: '100%' }}>
          {error}
        </p>
      ) : null}
    </form>
  );
}
