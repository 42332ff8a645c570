'use client';
import { useRouter } from 'next/navigation';
import { useActionState, useState } from 'react';
import { formatTime } from '../lib/format.ts';
import { ROLES, type Role } from '../lib/types.ts';
import { RoleField } from './RoleField.tsx';

export interface UserRow {
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  grants: Array<{ namespace: string; role: Role }>;
}

interface ActionResult {
  ok: boolean;
  message: string;
}

interface Actions {
  create: (previous: ActionResult | null, form: FormData) => Promise<ActionResult>;
  setRole: (name: string, role: string) => Promise<ActionResult>;
  setGrants: (name: string, text: string) => Promise<ActionResult>;
  setDisabled: (name: string, disabled: boolean) => Promise<ActionResult>;
  resetPassword: (name: string, password: string) => Promise<ActionResult>;
}


export function UsersAdmin({ me, users, actions }: { me: string; users: UserRow[]; actions: Actions }) {
  const router = useRouter();
  const [result, setResult] = useState<ActionResult | null>(null);
  const [created, createAction, creating] = useActionState(actions.create, null);
  const shown = result ?? created;

  async function act(work: Promise<ActionResult>) {
    const outcome = await work;
    setResult(outcome);
    router.refresh();
  }

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Users and roles</h1>
          <p className="muted small">
            Admins do everything; editors change configs; viewers read. Grants give a user a role in some namespaces only — every other
            namespace is then read-only for them.
          </p>
        </div>
      </div>
      {shown ? (
        <div className={`notice ${shown.ok ? 'ok' : 'error'}`} role={shown.ok ? 'status' : 'alert'} data-testid="users-notice">
          {shown.message}
        </div>
      ) : null}
      <section className="panel" aria-labelledby="new-user-title">
        <h2 id="new-user-title">Add a user</h2>
        <form action={(form) => { setResult(null); createAction(form); }} className="row">
          <div className="field">
            <label htmlFor="user-name">User name</label>
            <input id="user-name" name="name" type="text" required autoComplete="off" />
          </div>
          <div className="field">
            <label htmlFor="user-password">Initial password</label>
            <input id="user-password" name="password" type="password" required autoComplete="new-password" />
          </div>
          <RoleField id="user-role" />
          <button type="submit" className="primary" disabled={creating}>
            Add user
          </button>
        </form>
      </section>
      <section className="panel" aria-labelledby="users-title">
        <h2 id="users-title">Users</h2>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Namespace grants</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.map((user) => (
                <UserLine key={user.name} user={user} me={me} actions={actions} act={act} />
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}

function UserLine({ user, me, actions, act }: { user: UserRow; me: string; actions: Actions; act: (p: Promise<ActionResult>) => Promise<void> }) {
  const [grants, setGrants] = useState(user.grants.map((g) => `${g.namespace}=${g.role}`).join(', '));
  return (
    <tr data-user={user.name}>
      <td>
        <strong>{user.name}</strong>
        {user.name === me ? <span className="muted small"> (you)</span> : null}
        <div className="muted small">since {formatTime(user.createdAt)}</div>
      </td>
      <td>
        <select
          aria-label={`Role of ${user.name}`}
          value={user.role}
          disabled={user.name === me}
          onChange={(e) => void act(actions.setRole(user.name, e.target.value))}
        >
          {ROLES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      </td>
      <td>
        <div className="actions" style={{ flexWrap: 'nowrap' }}>
          <input
            type="text"
            className="mono"
            aria-label={`Grants of ${user.name}`}
            placeholder="payments=editor"
            value={grants}
            onChange={(e) => setGrants(e.target.value)}
          />
          <button type="button" onClick={() => void act(actions.setGrants(user.name, grants))}>
            Save
          </button>
        </div>
      </td>
      <td>{user.disabled ? <span className="badge down">disabled</span> : <span className="badge up">active</span>}</td>
      <td>
        <div className="actions" style={{ flexWrap: 'nowrap' }}>
          {user.name !== me ? (
            <button type="button" className="link" onClick={() => void act(actions.setDisabled(user.name, !user.disabled))}>
              {user.disabled ? 'Enable' : 'Disable'}
            </button>
          ) : null}
          <button
            type="button"
            className="link"
            onClick={() => {
              const password = window.prompt(`New password for ${user.name}`);
              if (password) void act(actions.resetPassword(user.name, password));
            }}
          >
            Reset password
          </button>
        </div>
      </td>
    </tr>
  );
}
