import Link from 'next/link';
import { FileList } from '../../../components/FileList.tsx';
import { SdkSnippet } from '../../../components/SdkSnippet.tsx';
import { DeleteNamespace } from '../../../components/DeleteNamespace.tsx';
import { canEdit, isAdmin, requireUser } from '../../../lib/session.ts';
import { credentialUserFor, zkConnectString } from '../../../lib/server-config.ts';

export const dynamic = 'force-dynamic';

export async function generateMetadata({ params }: { params: Promise<{ ns: string }> }) {
  const { ns } = await params;
  return { title: `${decodeURIComponent(ns)} · Config Center` };
}

export default async function NamespacePage({ params }: { params: Promise<{ ns: string }> }) {
  const user = await requireUser();
  const namespace = decodeURIComponent((await params).ns);
  const admin = isAdmin(user);
  return (
    <>
      <div className="page-head">
        <div>
          <div className="crumbs">
            <Link href="/">Dashboard</Link> / namespace
          </div>
          <h1>{namespace}</h1>
        </div>
        {admin ? <DeleteNamespace namespace={namespace} /> : null}
      </div>
      <FileList namespace={namespace} canEdit={canEdit(user, namespace)} />
      <SdkSnippet
        namespace={namespace}
        connectString={zkConnectString()}
        credentialUser={await credentialUserFor(namespace)}
        canRotate={admin}
      />
    </>
  );
}
