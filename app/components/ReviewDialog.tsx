'use client';
import { useEffect, useRef, useState } from 'react';
import type { KeyDiff } from '../lib/types.ts';
import { DiffList } from './DiffList.tsx';

interface Props {
  open: boolean;
  diff: KeyDiff;
  version: number;
  saving: boolean;
  onCancel: () => void;
  onSave: (comment: string) => void;
}

export function ReviewDialog({ open, diff, version, saving, onCancel, onSave }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const [comment, setComment] = useState('');
  const [reveal, setReveal] = useState(false);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) {
      dialog.close();
      setComment('');
      setReveal(false);
    }
  }, [open]);

  return (
    <dialog ref={ref} onCancel={onCancel} aria-labelledby="review-title">
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          onSave(comment);
        }}
      >
        <h2 id="review-title">Review changes</h2>
        <p className="small muted">Saved only if the file is still at version {version}; otherwise you will be told who changed it.</p>
        <DiffList diff={diff} reveal={reveal} />
        <label className="small" style={{ marginTop: 8, display: 'flex', gap: 6, alignItems: 'center' }}>
          <input type="checkbox" checked={reveal} onChange={(e) => setReveal(e.target.checked)} /> Show secret values
        </label>
        <div className="field" style={{ marginTop: 12 }}>
          <label htmlFor="save-comment">Comment (optional)</label>
          <input id="save-comment" type="text" value={comment} onChange={(e) => setComment(e.target.value)} placeholder="Why this change" />
        </div>
        <div className="actions" style={{ justifyContent: 'flex-end' }}>
          <button type="button" onClick={onCancel}>
            Keep editing
          </button>
          <button id="review-save" type="submit" className="primary" disabled={saving}>
            {saving ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
