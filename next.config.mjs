// Next.js serves the admin: App Router pages plus the app/api route handlers (Node runtime).
// - distDir: tests build into their own folder (NEXT_DIST_DIR) so they never clobber a developer's .next.
// - typescript: `npm run typecheck` checks the repository; the build must not fail on a colleague's
//   work in progress, and its tsconfig edits go to tsconfig.next.json, not the shared tsconfig.json.
// - serverExternalPackages: native SQLite and Prisma's runtime load from node_modules, not the bundle.
// - headers: defence in depth for the admin. script-src keeps 'unsafe-inline' because Next's App Router
//   bootstraps with inline <script> tags (self.__next_f.push) and `next start` has no nonce support here.

/** @type {import('next').NextConfig} */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

const SECURITY_HEADERS = [
  { key: 'Content-Security-Policy', value: CONTENT_SECURITY_POLICY },
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'same-origin' },
  { key: 'X-Frame-Options', value: 'DENY' },
];

const nextConfig = {
  async headers() {
    return [{ source: '/:path*', headers: SECURITY_HEADERS }];
  },
  distDir: process.env.NEXT_DIST_DIR || '.next',
  typescript: { ignoreBuildErrors: true, tsconfigPath: 'tsconfig.next.json' },
  serverExternalPackages: ['better-sqlite3', '@prisma/adapter-better-sqlite3', '@prisma/client', 'prisma'],
  poweredByHeader: false,
};

export default nextConfig;
