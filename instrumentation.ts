// Runs once when the admin server starts: on first start (no users yet) create the `admin` user with
// ADMIN_PASSWORD, or a generated password printed here once.

export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { getDb } = await import('./server/db.ts');
  const { ensureInitialAdmin } = await import('./server/auth/users.ts');
  try {
    const result = await ensureInitialAdmin(await getDb());
    if (result.generatedPassword !== undefined) {
      console.log(`created user admin; password (shown once): ${result.generatedPassword}`);
    } else if (result.created) {
      console.log('created user admin with ADMIN_PASSWORD');
    }
  } catch (error) {
    console.error(`cannot create the first admin: ${(error as Error).message}`);
  }
}
