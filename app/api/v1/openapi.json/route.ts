import { publicRoute } from '../../../../server/http/handler.ts';
import { openApiDocument } from '../../../../server/http/openapi.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = publicRoute(() => Response.json(openApiDocument()));
