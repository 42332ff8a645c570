// Each node of ZK_CONNECT: role, zxid, connections, latency, up/down (from srvr/mntr).
import { requireAuthorized } from '../../../../server/auth/index.ts';
import { route } from '../../../../server/http/handler.ts';
import { ensembleStatus } from '../../../../server/http/ensemble-status.ts';
import { zkConnectString } from '../../../../server/zk.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = route(async ({ principal }) => {
  requireAuthorized(principal, 'ensemble:read');
  const nodes = await ensembleStatus(zkConnectString());
  return Response.json({ nodes, quorum: nodes.filter((n) => n.up).length > nodes.length / 2 });
});
