/**
 * Failover time after kill -9 of the leader under write load — from the kill to the first successful write — for
 * our three-node ensemble and for Apache ZooKeeper 3.8 (three JVMs), same tickTime/initLimit/syncLimit, in one run.
 * `npm run bench` measures the same thing (bench/failover-measure.ts) as one row of its table.
 *
 *   npx tsx bench/failover.ts [trials=3] [tickTime=2000]
 */
import { measureFailover } from './failover-measure.ts';
import { startSystem, zookeeperUnavailable, type SystemName } from './systems.ts';

const TRIALS = Number(process.argv[2] ?? 3);
const TICK = Number(process.argv[3] ?? 2000);
const timing = { tickTime: TICK, initLimit: 10, syncLimit: 5 };

async function measure(name: SystemName): Promise<number[]> {
  const times: number[] = [];
  // One system for every trial: the killed leader is restarted and rejoins before the next kill.
  const sys = await startSystem(name, timing);
  try {
    for (let t = 0; t < TRIALS; t++) {
      const s = await measureFailover(sys, 20 * TICK);
      times.push(s.ms);
      console.log(`${name} trial ${t + 1}: ${s.ms.toFixed(0)} ms (killed node ${s.killedSid}, ${s.expiredSessions} sessions expired)`);
    }
  } finally {
    await sys.stop();
  }
  return times;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ours = await measure('ours');
const why = zookeeperUnavailable();
const apache = why ? null : await measure('zookeeper');
console.log(`\nkill -9 of the leader → first successful write (tickTime=${TICK}, ${TRIALS} trials)`);
console.log(`ours   median ${median(ours).toFixed(0)} ms  [${ours.map((x) => x.toFixed(0)).join(', ')}]`);
if (apache) console.log(`apache median ${median(apache).toFixed(0)} ms  [${apache.map((x) => x.toFixed(0)).join(', ')}]`);
else console.log(`apache skipped: ${why}`);
process.exit(0);
