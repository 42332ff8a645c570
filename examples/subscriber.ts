/**
 * Subscribes to one config file and prints every change.
 *
 *   npx tsx examples/subscriber.ts <connectString> <namespace> <file> [user:password]
 *   npx tsx examples/subscriber.ts 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183 order-service db.properties
 *
 * The last good copy is kept in ./.config-cache, so the subscriber starts even while the ensemble is down.
 */
import { createConfigClient } from '../sdk/index.ts';

const [connectString, namespace, fileName, credentials] = process.argv.slice(2);
if (!connectString || !namespace || !fileName) {
  console.error('usage: npx tsx examples/subscriber.ts <connectString> <namespace> <file> [user:password]');
  process.exit(2);
}
const [user, password] = credentials ? [credentials.slice(0, credentials.indexOf(':')), credentials.slice(credentials.indexOf(':') + 1)] : [];

const client = await createConfigClient({
  connectString,
  namespace,
  cacheDir: './.config-cache',
  startupTimeoutMs: 5000,
  ...(user !== undefined && password !== undefined ? { auth: { user, password } } : {}),
});
client.on('state', (state) => console.log(`[state] ${state}`));
client.on('error', (e) => console.error(`[error] ${e.message}`));

const file = client.file(fileName);
file.on('error', (e) => console.error(`[error] ${e.message}`));
await file.ready();
console.log(`[ready] ${namespace}/${fileName} from ${file.source}, ${file.exists ? `version ${file.version}` : 'does not exist yet'}`);
for (const [key, value] of file.entries()) console.log(`  ${key} = ${value}`);

file.on('change', ({ version, exists, changes }) => {
  console.log(`[change] ${exists ? `version ${version}` : 'deleted'}`);
  for (const c of changes) {
    if (c.oldValue === undefined) console.log(`  + ${c.key} = ${c.newValue}`);
    else if (c.newValue === undefined) console.log(`  - ${c.key} (was ${c.oldValue})`);
    else console.log(`  ~ ${c.key}: ${c.oldValue} -> ${c.newValue}`);
  }
});

const shutdown = async (): Promise<void> => {
  await client.close();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
