// Raw znode access for the admin's znode browser: admins only (`znode:raw`), through the config
// center's own ZooKeeper session. Writes here bypass the config service (no intent row); under
// /configs the audit recorder still records them, as external changes.

import { z } from 'zod';
import { CreateMode, ErrorCode, isZkError, pathProblem, type Stat } from '../../../../ensemble/client/index.ts';
import { requireAuthorized } from '../../../../server/auth/index.ts';
import { HttpError } from '../../../../server/http/errors.ts';
import { route } from '../../../../server/http/handler.ts';
import { getZk } from '../../../../server/zk.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** ZooKeeper's refusals as HTTP answers; connection trouble falls through to the shared 503 mapping. */
const ZK_STATUS: Record<number, [number, string]> = {
  [ErrorCode.NONODE]: [404, 'not_found'],
  [ErrorCode.NODEEXISTS]: [409, 'exists'],
  [ErrorCode.BADVERSION]: [409, 'conflict'],
  [ErrorCode.NOTEMPTY]: [409, 'not_empty'],
  [ErrorCode.NOAUTH]: [403, 'zk_no_auth'],
  [ErrorCode.BADARGUMENTS]: [400, 'bad_arguments'],
  [ErrorCode.NOCHILDRENFOREPHEMERALS]: [400, 'ephemeral_parent'],
};

async function zkCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const mapped = isZkError(error) ? ZK_STATUS[error.code] : undefined;
    if (mapped) throw new HttpError(mapped[0], mapped[1], (error as Error).message);
    throw error;
  }
}

function validPath(path: string | null | undefined): string {
  if (!path) throw new HttpError(400, 'invalid_request', 'give a path');
  const problem = pathProblem(path);
  if (problem !== null) throw new HttpError(400, 'invalid_path', problem);
  return path;
}

const hex = (value: bigint) => `0x${value.toString(16)}`;

function statJson(stat: Stat) {
  return {
    czxid: hex(stat.czxid),
    mzxid: hex(stat.mzxid),
    pzxid: hex(stat.pzxid),
    ctime: Number(stat.ctime),
    mtime: Number(stat.mtime),
    version: stat.version,
    cversion: stat.cversion,
    aversion: stat.aversion,
    ephemeralOwner: hex(stat.ephemeralOwner),
    dataLength: stat.dataLength,
    numChildren: stat.numChildren,
  };
}

export const GET = route(async ({ request, principal }) => {
  requireAuthorized(principal, 'znode:raw');
  const path = validPath(new URL(request.url).searchParams.get('path'));
  const zk = await getZk();
  const [{ data, stat }, children, acl] = await zkCall(() => Promise.all([zk.getData(path), zk.getChildren(path), zk.getACL(path)]));
  return Response.json(
    {
      path,
      data: data === null ? null : data.toString('base64'),
      stat: statJson(stat),
      acl: acl.acl.map((a) => ({ perms: a.perms, scheme: a.id.scheme, id: a.id.id })),
      children: children.sort(),
    },
    { headers: { 'cache-control': 'no-store' } },
  );
});

const MODES = {
  persistent: CreateMode.PERSISTENT,
  ephemeral: CreateMode.EPHEMERAL,
  persistent_sequential: CreateMode.PERSISTENT_SEQUENTIAL,
  container: CreateMode.CONTAINER,
} as const;

const CreateBody = z.object({
  path: z.string().min(1),
  data: z.string().max(1_000_000).default(''),
  mode: z.enum(['persistent', 'ephemeral', 'persistent_sequential', 'container']).default('persistent'),
});

export const POST = route(async ({ request, principal }) => {
  requireAuthorized(principal, 'znode:raw');
  const body = CreateBody.parse(await request.json());
  const path = validPath(body.path);
  const zk = await getZk();
  const created = await zkCall(() => zk.create(path, Buffer.from(body.data, 'utf8'), { mode: MODES[body.mode] }));
  return Response.json({ path: created }, { status: 201 });
});

const SetBody = z.object({ path: z.string().min(1), data: z.string().max(1_000_000), version: z.number().int().min(-1) });

export const PUT = route(async ({ request, principal }) => {
  requireAuthorized(principal, 'znode:raw');
  const body = SetBody.parse(await request.json());
  const path = validPath(body.path);
  const zk = await getZk();
  const stat = await zkCall(() => zk.setData(path, Buffer.from(body.data, 'utf8'), body.version));
  return Response.json({ path, stat: statJson(stat) });
});

export const DELETE = route(async ({ request, principal }) => {
  requireAuthorized(principal, 'znode:raw');
  const params = new URL(request.url).searchParams;
  const path = validPath(params.get('path'));
  if (path === '/zookeeper' || path.startsWith('/zookeeper/')) throw new HttpError(400, 'reserved', `${path} is reserved by ZooKeeper`);
  const version = Number(params.get('version') ?? '-1');
  if (!Number.isInteger(version) || version < -1) throw new HttpError(400, 'invalid_request', 'version must be an integer ≥ -1');
  const zk = await getZk();
  await zkCall(() => zk.delete(path, version));
  return new Response(null, { status: 204 });
});
