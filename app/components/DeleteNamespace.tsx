'use client';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { api } from '../lib/api.ts';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import { errorText } from './States.tsx';

export function DeleteNamespace({ namespace }: { namespace: string }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [withFiles, setWithFiles] = useState(false);
  return (
    <div>
      <button type="button" className="danger" onClick={() => setOpen(true)}>
        Delete namespace
      </button>
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
      <ConfirmDialog
        open={open}
        title={`Delete namespace "${namespace}"?`}
        confirmLabel="Delete namespace"
        onCancel={() => setOpen(false)}
        onConfirm={async () => {
          try {
            await api.deleteNamespace(namespace, withFiles);
            router.push('/');
          } catch (e) {
            setError(errorText(e));
          } finally {
            setOpen(false);
          }
        }}
      >
        <p>Applications reading it will stop getting configuration. The audit history is kept.</p>
        <label style={{ display: 'flex', gap: 6, alignItems: 'center' }}>
          <input type="checkbox" checked={withFiles} onChange={(e) => setWithFiles(e.target.checked)} /> Also delete every file in it
        </label>
      </ConfirmDialog>
    </div>
  );
}
