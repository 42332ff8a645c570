// next-auth's endpoints (sign-in, callback, session, csrf, sign-out). The options are built per request
// so NEXTAUTH_SECRET is read (or generated into the data dir) at run time, never at build time.

import NextAuth from 'next-auth';
import { authOptions } from '../../../../server/http/auth.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Args = { params: Promise<{ nextauth: string[] }> };

async function handler(request: Request, args: Args): Promise<Response> {
  return (NextAuth(authOptions()) as (req: Request, args: Args) => Promise<Response>)(request, args);
}

export { handler as GET, handler as POST };
