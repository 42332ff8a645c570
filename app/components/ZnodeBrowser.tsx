'use client';
// The whole ensemble's tree, loaded one level at a time as nodes are opened.

import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../lib/api.ts';
import { formatTime } from '../lib/format.ts';
import { useZnode } from '../lib/hooks.ts';
import type { Znode } from '../lib/types.ts';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import { ErrorNotice, Loading, errorText } from './States.tsx';

const childPath = (parent: string, name: string) => (parent === '/' ? `/${name}` : `${parent}/${name}`);

function decodeBase64(data: string | null): Uint8Array {
  if (data === null) return new Uint8Array();
  const binary = atob(data);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function asText(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

function asJson(bytes: Uint8Array): string {
  try {
    return JSON.stringify(JSON.parse(asText(bytes)), null, 2);
  } catch {
    return 'Not valid JSON.';
  }
}

function asHex(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const slice = [...bytes.slice(offset, offset + 16)];
    const hexPart = slice.map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = slice.map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hexPart.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

const PERMS: Array<[number, string]> = [
  [1, 'r'],
  [2, 'w'],
  [4, 'c'],
  [8, 'd'],
  [16, 'a'],
];
const permString = (perms: number) => PERMS.map(([bit, letter]) => (perms & bit ? letter : '-')).join('');

export function ZnodeBrowser() {
  const [selected, setSelected] = useState('/');
  const [version, setVersion] = useState(0);
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Znode browser</h1>
          <p className="muted small">The raw tree of the ensemble. Changes here skip review; under /configs they are recorded as external.</p>
        </div>
      </div>
      <div className="grid-2" style={{ gridTemplateColumns: 'minmax(220px, 1fr) 2fr' }}>
        <section className="panel" aria-label="Tree">
          <ul className="tree root" role="tree">
            <TreeNode path="/" name="/" selected={selected} onSelect={setSelected} refresh={version} initiallyOpen />
          </ul>
        </section>
        <NodeDetails
          path={selected}
          onChanged={(next) => {
            setVersion((v) => v + 1);
            if (next) setSelected(next);
          }}
        />
      </div>
    </>
  );
}

function TreeNode(props: { path: string; name: string; selected: string; onSelect: (p: string) => void; refresh: number; initiallyOpen?: boolean }) {
  const { path, name, selected, onSelect, refresh } = props;
  const [open, setOpen] = useState(props.initiallyOpen ?? false);
  const [children, setChildren] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!open) return;
    let live = true;
    api.znode(path).then(
      (node) => live && setChildren(node.children),
      (e: unknown) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [open, path, refresh]);

  return (
    <li role="treeitem" aria-expanded={open} aria-selected={selected === path}>
      <button type="button" aria-label={open ? `Collapse ${path}` : `Expand ${path}`} onClick={() => setOpen(!open)}>
        {open ? '▾' : '▸'}
      </button>
      <button type="button" aria-current={selected === path} onClick={() => onSelect(path)}>
        {name}
      </button>
      {open && error ? <div className="field-error">{error}</div> : null}
      {open && children ? (
        <ul className="tree" role="group">
          {children.map((child) => (
            <TreeNode key={child} path={childPath(path, child)} name={child} selected={selected} onSelect={onSelect} refresh={refresh} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}

function NodeDetails({ path, onChanged }: { path: string; onChanged: (select?: string) => void }) {
  const { data: node, error, isLoading, mutate } = useZnode(path);
  const [format, setFormat] = useState<'text' | 'json' | 'hex'>('text');
  const [editing, setEditing] = useState<string | null>(null);
  const [message, setMessage] = useState<{ tone: 'ok' | 'error'; text: string } | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);

  useEffect(() => {
    setEditing(null);
    setMessage(null);
  }, [path]);

  if (isLoading) return <Loading what={path} />;
  if (error) return <ErrorNotice error={error} retry={() => void mutate()} />;
  if (!node) return null;
  const bytes = decodeBase64(node.data);
  const shown = format === 'text' ? asText(bytes) : format === 'json' ? asJson(bytes) : asHex(bytes);

  async function attempt(work: () => Promise<void>, ok: string, select?: string) {
    try {
      await work();
      setMessage({ tone: 'ok', text: ok });
      void mutate();
      onChanged(select);
    } catch (e) {
      setMessage({ tone: 'error', text: errorText(e) });
    }
  }

  return (
    <section className="panel" aria-labelledby="node-title">
      <div className="panel-head">
        <h2 id="node-title" className="mono">
          {node.path}
        </h2>
        <div className="actions">
          {editing === null ? (
            <button type="button" onClick={() => setEditing(asText(bytes))}>
              Set data
            </button>
          ) : null}
          {node.path !== '/' ? (
            <button type="button" className="danger" onClick={() => setConfirmDelete(true)}>
              Delete
            </button>
          ) : null}
        </div>
      </div>
      {message ? (
        <div className={`notice ${message.tone}`} role={message.tone === 'error' ? 'alert' : 'status'}>
          {message.text}
        </div>
      ) : null}
      {editing !== null ? (
        <form
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            void attempt(() => api.setZnode(node.path, editing, node.stat.version), `Data of ${node.path} set.`).then(() => setEditing(null));
          }}
        >
          <div className="field">
            <label htmlFor="znode-data">Data (UTF-8), written only if the version is still {node.stat.version}</label>
            <textarea id="znode-data" className="mono" rows={8} value={editing} onChange={(e) => setEditing(e.target.value)} />
          </div>
          <div className="actions">
            <button type="submit" className="primary">
              Save data
            </button>
            <button type="button" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <>
          <div className="tabs" role="tablist" aria-label="Data format">
            {(['text', 'json', 'hex'] as const).map((f) => (
              <button key={f} type="button" role="tab" aria-selected={format === f} onClick={() => setFormat(f)}>
                {f === 'json' ? 'JSON' : f === 'hex' ? 'Hex' : 'Text'}
              </button>
            ))}
          </div>
          <pre className="data" data-testid="znode-data">
            {node.data === null ? '(no data)' : shown || '(empty)'}
          </pre>
        </>
      )}
      <div className="grid-2" style={{ gridTemplateColumns: '1fr 1fr', marginTop: 14 }}>
        <div>
          <h3>Stat</h3>
          <StatTable node={node} />
        </div>
        <div>
          <h3>ACL</h3>
          <ul className="diff-list">
            {node.acl.map((a, i) => (
              <li key={i}>
                {a.scheme}:{a.id} <strong>{permString(a.perms)}</strong>
              </li>
            ))}
          </ul>
          <CreateChild parent={node.path} onCreate={(p, data, mode) => attempt(() => api.createZnode(p, data, mode), `Created ${p}.`, p)} />
        </div>
      </div>
      <ConfirmDialog
        open={confirmDelete}
        title={`Delete ${node.path}?`}
        confirmLabel="Delete znode"
        onCancel={() => setConfirmDelete(false)}
        onConfirm={async () => {
          setConfirmDelete(false);
          const parent = node.path.slice(0, node.path.lastIndexOf('/')) || '/';
          await attempt(() => api.deleteZnode(node.path, node.stat.version), `Deleted ${node.path}.`, parent);
        }}
      >
        <p>Only if it has no children and is still at version {node.stat.version}.</p>
      </ConfirmDialog>
    </section>
  );
}

function StatTable({ node }: { node: Znode }) {
  const s = node.stat;
  const rows: Array<[string, string | number]> = [
    ['czxid', s.czxid],
    ['mzxid', s.mzxid],
    ['pzxid', s.pzxid],
    ['ctime', formatTime(new Date(s.ctime).toISOString())],
    ['mtime', formatTime(new Date(s.mtime).toISOString())],
    ['version', s.version],
    ['cversion', s.cversion],
    ['aversion', s.aversion],
    ['ephemeralOwner', s.ephemeralOwner],
    ['dataLength', s.dataLength],
    ['numChildren', s.numChildren],
  ];
  return (
    <table className="stat-table">
      <tbody>
        {rows.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td className="mono">{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function CreateChild({ parent, onCreate }: { parent: string; onCreate: (path: string, data: string, mode: string) => Promise<void> }) {
  const [name, setName] = useState('');
  const [data, setData] = useState('');
  const [mode, setMode] = useState('persistent');
  return (
    <form
      style={{ marginTop: 14 }}
      onSubmit={(e) => {
        e.preventDefault();
        if (name === '') return;
        void onCreate(childPath(parent, name), data, mode).then(() => {
          setName('');
          setData('');
        });
      }}
      aria-label="Create child znode"
    >
      <h3>Create child</h3>
      <div className="field">
        <label htmlFor="child-name">Name</label>
        <input id="child-name" type="text" className="mono" value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="child-data">Data</label>
        <input id="child-data" type="text" className="mono" value={data} onChange={(e) => setData(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="child-mode">Mode</label>
        <select id="child-mode" value={mode} onChange={(e) => setMode(e.target.value)}>
          <option value="persistent">persistent</option>
          <option value="persistent_sequential">persistent sequential</option>
          <option value="container">container</option>
          <option value="ephemeral">ephemeral (admin session)</option>
        </select>
      </div>
      <button type="submit">Create</button>
    </form>
  );
}
