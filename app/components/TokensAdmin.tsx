'use client';
import { useRouter } from 'next/navigation';
import { useActionState, useState } from 'react';
import { formatTime } from '../lib/format.ts';
import type { Role } from '../lib/types.ts';
import { RoleField } from './RoleField.tsx';
import { Empty } from './States.tsx';

interface TokenRow {
  id: number;
  name: string;
  prefix: string;
  role: Role;
  namespaces: string[] | null;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface TokenResult {
  ok: boolean;
  message: string;
  token?: string;
}

interface Props {
  tokens: TokenRow[];
  create: (previous: TokenResult | null, form: FormData) => Promise<TokenResult>;
  revoke: (id: number) => Promise<TokenResult>;
}

export function TokensAdmin({ tokens, create, revoke }: Props) {
  const router = useRouter();
  const [created, createAction, creating] = useActionState(create, null);
  const [revoked, setRevoked] = useState<TokenResult | null>(null);
  const shown = revoked ?? created;

  return (
    <>
      <div className="page-head">
        <div>
          <h1>API tokens</h1>
          <p className="muted small">
            For automation: send <code>Authorization: Bearer &lt;token&gt;</code>. A token is shown once, stored hashed, and can be limited to
            some namespaces.
          </p>
        </div>
      </div>
      {shown ? (
        <div className={`notice ${shown.ok ? (shown.token ? 'warn' : 'ok') : 'error'}`} role={shown.ok ? 'status' : 'alert'}>
          {shown.message}
          {shown.token ? (
            <div className="secret-once" data-testid="new-token">
              {shown.token}
            </div>
          ) : null}
        </div>
      ) : null}
      <section className="panel" aria-labelledby="new-token-title">
        <h2 id="new-token-title">Create a token</h2>
        <form action={(form) => { setRevoked(null); createAction(form); }} className="row">
          <div className="field">
            <label htmlFor="token-name">Name</label>
            <input id="token-name" name="name" type="text" placeholder="ci-deploy" required />
          </div>
          <RoleField id="token-role" />
          <div className="field">
            <label htmlFor="token-namespaces">Namespaces (blank: all)</label>
            <input id="token-namespaces" name="namespaces" type="text" placeholder="payments, search" />
          </div>
          <button type="submit" className="primary" disabled={creating}>
            Create token
          </button>
        </form>
      </section>
      <section className="panel" aria-labelledby="tokens-title">
        <h2 id="tokens-title">Tokens</h2>
        {tokens.length === 0 ? <Empty>No API tokens yet.</Empty> : null}
        {tokens.length > 0 ? (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Prefix</th>
                  <th scope="col">Role</th>
                  <th scope="col">Namespaces</th>
                  <th scope="col" className="hide-narrow">
                    Created
                  </th>
                  <th scope="col" className="hide-narrow">
                    Last used
                  </th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tokens.map((t) => (
                  <tr key={t.id}>
                    <td>{t.name}</td>
                    <td className="mono">{t.prefix}…</td>
                    <td>{t.role}</td>
                    <td>{t.namespaces?.join(', ') ?? 'all'}</td>
                    <td className="hide-narrow small">
                      {formatTime(t.createdAt)} by {t.createdBy}
                    </td>
                    <td className="hide-narrow small">{formatTime(t.lastUsedAt)}</td>
                    <td>
                      {t.revokedAt ? (
                        <span className="badge down">revoked</span>
                      ) : (
                        <button
                          type="button"
                          className="link"
                          onClick={async () => {
                            if (!window.confirm(`Revoke "${t.name}"? Anything using it stops working at once.`)) return;
                            setRevoked(await revoke(t.id));
                            router.refresh();
                          }}
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </>
  );
}
