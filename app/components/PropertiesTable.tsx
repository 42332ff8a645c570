'use client';
import { useMemo, useRef, useState, type FormEvent } from 'react';
import { looksSecret, MASK, rowsOf } from '../lib/editor-model.ts';

interface Props {
  text: string;
  baseText: string;
  canEdit: boolean;
  onSet: (key: string, value: string) => void;
  onRemove: (key: string) => void;
  onRename: (oldKey: string, newKey: string) => void;
}

export function PropertiesTable({ text, baseText, canEdit, onSet, onRemove, onRename }: Props) {
  const [filter, setFilter] = useState('');
  const [revealed, setRevealed] = useState<ReadonlySet<string>>(new Set());
  const rows = useMemo(() => rowsOf(text), [text]);
  const baseValues = useMemo(() => new Map(rowsOf(baseText).map((r) => [r.key, r.value])), [baseText]);
  const needle = filter.trim().toLowerCase();
  const visible = needle === '' ? rows : rows.filter((r) => r.key.toLowerCase().includes(needle) || (!looksSecret(r.key) && r.value.toLowerCase().includes(needle)));

  const toggle = (key: string) =>
    setRevealed((current) => {
      const next = new Set(current);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });

  return (
    <div>
      <div className="row" style={{ marginBottom: 12 }}>
        <div className="field">
          <label htmlFor="filter-keys">Filter keys and values</label>
          <input id="filter-keys" type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="db." />
        </div>
        <span className="muted small">
          {visible.length} of {rows.length} keys
        </span>
      </div>
      <div className="table-wrap">
        <table aria-label="Keys and values">
          <thead>
            <tr>
              <th scope="col" style={{ width: '35%' }}>
                Key
              </th>
              <th scope="col">Value</th>
              {canEdit ? (
                <th scope="col" style={{ width: 1 }}>
                  <span className="visually-hidden">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {visible.map((row) => {
              const secret = looksSecret(row.key);
              const shown = revealed.has(row.key);
              const before = baseValues.get(row.key);
              const state = before === undefined ? 'row-added' : before !== row.value ? 'row-changed' : undefined;
              return (
                <tr key={row.key} className={state} data-key={row.key}>
                  <td className="key">
                    {canEdit ? <KeyCell name={row.key} taken={(k) => rows.some((r) => r.key === k)} onRename={onRename} /> : row.key}
                  </td>
                  <td className="value">
                    {canEdit ? (
                      <div className="actions" style={{ flexWrap: 'nowrap' }}>
                        <input
                          type={secret && !shown ? 'password' : 'text'}
                          className="mono"
                          aria-label={`Value of ${row.key}`}
                          value={row.value}
                          onChange={(e) => onSet(row.key, e.target.value)}
                          autoComplete="off"
                        />
                        {secret ? (
                          <button type="button" className="link" onClick={() => toggle(row.key)} aria-pressed={shown} aria-label={`${shown ? 'Hide' : 'Reveal'} ${row.key}`}>
                            {shown ? 'Hide' : 'Reveal'}
                          </button>
                        ) : null}
                      </div>
                    ) : secret ? (
                      MASK
                    ) : (
                      row.value
                    )}
                  </td>
                  {canEdit ? (
                    <td>
                      <button type="button" className="link" onClick={() => onRemove(row.key)} aria-label={`Remove ${row.key}`}>
                        Remove
                      </button>
                    </td>
                  ) : null}
                </tr>
              );
            })}
            {rows.length === 0 ? (
              <tr>
                <td colSpan={canEdit ? 3 : 2} className="empty">
                  This file has no keys yet.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      {canEdit ? <AddRow existing={new Set(rows.map((r) => r.key))} onAdd={onSet} /> : null}
    </div>
  );
}

/** The key as text; editors click it (or press Enter on it) to rename. */
function KeyCell({ name, taken, onRename }: { name: string; taken: (key: string) => boolean; onRename: (oldKey: string, newKey: string) => void }) {
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Enter commits and unmounts the input; a blur arriving after that must not rename a second time.
  const settled = useRef(false);
  if (editing === null) {
    return (
      <button type="button" className="link mono" style={{ padding: 0, textAlign: 'left', whiteSpace: 'normal', wordBreak: 'break-all' }} title="Rename" aria-label={`Rename ${name}`} onClick={() => {
          settled.current = false;
          setEditing(name);
        }}>
        {name}
      </button>
    );
  }
  const commit = () => {
    if (settled.current) return;
    const next = editing.trim();
    if (next === name) {
      settled.current = true;
      return setEditing(null);
    }
    if (next === '') return setError('A key cannot be empty.');
    if (taken(next)) return setError(`"${next}" already exists.`);
    settled.current = true;
    onRename(name, next);
    setEditing(null);
    setError(null);
  };
  return (
    <div>
      <input
        type="text"
        className="mono"
        aria-label={`New name for ${name}`}
        value={editing}
        autoFocus
        onChange={(e) => setEditing(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            commit();
          }
          if (e.key === 'Escape') {
            settled.current = true;
            setEditing(null);
            setError(null);
          }
        }}
        onBlur={commit}
      />
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

function AddRow({ existing, onAdd }: { existing: ReadonlySet<string>; onAdd: (key: string, value: string) => void }) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (key.trim() === '') return setError('Enter a key.');
    if (existing.has(key)) return setError(`"${key}" already exists; edit its value in the table.`);
    onAdd(key, value);
    setKey('');
    setValue('');
    setError(null);
  }

  return (
    <form onSubmit={submit} className="row" style={{ marginTop: 12 }} aria-label="Add a key">
      <div className="field">
        <label htmlFor="add-key">New key</label>
        <input id="add-key" type="text" className="mono" value={key} onChange={(e) => setKey(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="add-value">Value</label>
        <input id="add-value" type="text" className="mono" value={value} onChange={(e) => setValue(e.target.value)} />
      </div>
      <button type="submit">Add key</button>
      {error ? (
        <p className="field-error" role="alert" style={{ width: '100%' }}>
          {error}
        </p>
      ) : null}
    </form>
  );
}
