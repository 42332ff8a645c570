'use client';
import { useState } from 'react';
import { api } from '../lib/api.ts';
import { formatTime } from '../lib/format.ts';
import { errorText } from './States.tsx';

interface Props {
  namespace: string;
  connectString: string;
  credentialUser: { user: string; rotatedAt: string } | null;
  canRotate: boolean;
}

export function SdkSnippet({ namespace, connectString, credentialUser, canRotate }: Props) {
  const [issued, setIssued] = useState<{ user: string; password: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const user = issued?.user ?? credentialUser?.user ?? `ns-${namespace}`;
  const password = issued?.password ?? '<read password>';

  async function onRotate() {
    if (!canRotate) return;
    if (!window.confirm(`Rotate the read credential of "${namespace}"? Applications using the old password lose read access.`)) return;
    setBusy(true);
    setError(null);
    try {
      setIssued(await api.rotateCredential(namespace));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }

  const snippet = `import { createConfigClient } from 'zk-config-center/sdk';

const client = await createConfigClient({
  connectString: ${JSON.stringify(connectString)},
  namespace: ${JSON.stringify(namespace)},
  auth: { user: ${JSON.stringify(user)}, password: ${password.startsWith('<') ? 'process.env.CONFIG_READ_PASSWORD' : JSON.stringify(password)} },
  cacheDir: './.config-cache',
});
const file = await client.file('app.properties').ready();
file.getString('db.url');
file.on('change', (change) => console.log(change));`;

  return (
    <section className="panel" aria-labelledby="sdk-title">
      <div className="panel-head">
        <h2 id="sdk-title">Use it from an application</h2>
        {canRotate ? (
          <button type="button" onClick={() => void onRotate()} disabled={busy}>
            {credentialUser || issued ? 'Rotate read credential' : 'Issue read credential'}
          </button>
        ) : null}
      </div>
      <p className="small muted">
        Connect string <code>{connectString}</code> · read credential <code>{user}</code>
        {credentialUser && !issued ? ` (set ${formatTime(credentialUser.rotatedAt)})` : ''}
      </p>
      {issued ? (
        <div className="notice warn" role="status">
          New read password for <code>{issued.user}</code>, shown only this once:
          <div className="secret-once" data-testid="issued-password">
            {issued.password}
          </div>
        </div>
      ) : null}
      {error ? (
        <div className="notice error" role="alert">
          {error}
        </div>
      ) : null}
      <pre className="data" aria-label="SDK example">
        {snippet}
      </pre>
    </section>
  );
}
