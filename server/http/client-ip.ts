// Route handlers get no socket address in Next.js: the client IP comes from the proxy headers (or
// "local" when there is no proxy, which is how `next start` is reached directly).

export function clientIp(request: Request): string {
  const forwarded = request.headers.get('x-forwarded-for')?.split(',')[0]?.trim();
  return forwarded || request.headers.get('x-real-ip')?.trim() || 'local';
}
