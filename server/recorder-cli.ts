// `npm run recorder`: the audit recorder as its own long-running process (route handlers keep no
// background work). Uses ZK_CONNECT, DATABASE_URL and the config center's ZooKeeper identity.

import { openDatabase } from './db.ts';
import { Recorder } from './recorder/index.ts';
import { zkConnectString, zkIdentity } from './zk.ts';

const db = await openDatabase();
const connectString = zkConnectString();
const recorder = new Recorder({
  connectString,
  identity: zkIdentity(),
  db,
  log: (line) => console.log(`${new Date().toISOString()} ${line}`),
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping the recorder`);
  await recorder.stop();
  await db.$disconnect();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

for (;;) {
  try {
    await recorder.start();
    break;
  } catch (error) {
    console.error(`cannot reach the ensemble at ${connectString}: ${(error as Error).message}; retrying`);
    await recorder.stop();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}
console.log(`recorder watching /configs on ${connectString}`);
