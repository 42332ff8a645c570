/**
 * Differential tests: every scenario in scenarios.ts runs through OUR client against a fresh Apache ZooKeeper and
 * against our server, and the normalised traces must be identical. A difference fails the scenario and shows both.
 *
 * Checking the scenarios themselves:
 *   COMPAT_APACHE_ONLY=1 npx vitest run tests/compat/differential.test.ts        # print Apache's traces
 *   COMPAT_APACHE_VS_APACHE=1 npx vitest run tests/compat/differential.test.ts   # two Apaches must agree
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApacheZk, type RunningServer } from '../helpers/apache-zk.ts';
import { startOurServer } from '../helpers/our-server.ts';
import { startEnsembleAsServer } from '../helpers/ensemble.ts';
import { apacheZkUnavailable, ourClientUnavailable, ourServerUnavailable, skipReason } from '../helpers/compat-env.ts';
import { createContext, SUPER_AUTH, type ClientLib, type Scenario } from './scenario-context.ts';
import { normalizeTrace } from './trace.ts';
import { scenarios } from './scenarios.ts';

const superDigest = (() => {
  const [user] = SUPER_AUTH.auth.split(':');
  return `${user}:${createHash('sha1').update(SUPER_AUTH.auth).digest('base64')}`;
})();

/** The second pair: TTL nodes allowed, containers checked every 100 ms, 200 ms ticks for fast expiry, a super user. */
const SPECIAL_TICK = 200;
const special = {
  apache: () =>
    startApacheZk({
      tickTime: SPECIAL_TICK,
      config: { extendedTypesEnabled: 'true' },
      // Apache reads these as JVM properties; znode.container.checkIntervalMs has no zoo.cfg form.
      systemProperties: { 'znode.container.checkIntervalMs': '100', 'zookeeper.DigestAuthenticationProvider.superDigest': superDigest },
    }),
  ours: () =>
    startOurServer({
      tickTime: SPECIAL_TICK,
      config: {
        extendedTypesEnabled: 'true',
        'znode.container.checkIntervalMs': '100',
        'zookeeper.DigestAuthenticationProvider.superDigest': superDigest,
      },
    }),
};

const SCENARIO_TIMEOUT = 15_000;
/** Set COMPAT_APACHE_ONLY=1 to check the scenarios against Apache ZooKeeper alone (e.g. while writing them). */
const APACHE_ONLY = !!process.env.COMPAT_APACHE_ONLY;
/** Set COMPAT_APACHE_VS_APACHE=1 to diff Apache against a second Apache: proves the traces are deterministic. */
const APACHE_VS_APACHE = !!process.env.COMPAT_APACHE_VS_APACHE;

function slug(name: string, index: number): string {
  return `/s${String(index).padStart(2, '0')}-${name.replace(/[^a-zA-Z0-9]+/g, '-').slice(0, 40).replace(/-+$/, '')}`;
}

/** Runs one scenario against one server and returns its normalised trace (or how it broke). */
async function runOn(lib: ClientLib, server: RunningServer, scenario: Scenario, root: string): Promise<unknown> {
  const startedAt = Date.now();
  const handle = createContext(lib, server.connectString, root);
  const limit = scenario.timeoutMs ?? SCENARIO_TIMEOUT;
  let timer: NodeJS.Timeout | undefined;
  let trace: unknown;
  try {
    trace = await Promise.race([
      handle.open().then((ctx) => scenario.run(ctx)),
      new Promise((resolve) => (timer = setTimeout(() => resolve({ scenarioTimedOut: `${limit} ms` }), limit))),
    ]);
  } catch (e) {
    const err = e as Error & { codeName?: string };
    trace = { scenarioThrew: err.codeName ? `ZkError ${err.codeName}` : `${err.name}: ${err.message}` };
  } finally {
    clearTimeout(timer);
  }
  // Normalise before closing: closing sessions would still change arrays the trace holds (state lists, events).
  const normalized = normalizeTrace(trace, { sessions: handle.sessions, startedAt });
  await handle.close();
  return normalized;
}

function differentialSuite(title: string, pair: 'default' | 'special', start: { apache: () => Promise<RunningServer>; ours: () => Promise<RunningServer> }) {
  const chosen = scenarios.map((s, i) => ({ s, i })).filter(({ s }) => (s.pair ?? 'default') === pair);
  const skip = APACHE_ONLY || APACHE_VS_APACHE
    ? skipReason(title, apacheZkUnavailable, ourClientUnavailable)
    : skipReason(title, apacheZkUnavailable, ourServerUnavailable, ourClientUnavailable);
  describe.skipIf(skip !== null)(title, () => {
    let apache: RunningServer | undefined;
    let ours: RunningServer | undefined;
    let lib: ClientLib;

    beforeAll(async () => {
      lib = await import('../../ensemble/client/index.ts');
      const second = APACHE_ONLY ? async () => undefined : APACHE_VS_APACHE ? start.apache : start.ours;
      [apache, ours] = await Promise.all([start.apache(), second()]);
    });
    afterAll(async () => {
      await Promise.all([apache?.stop(), ours?.stop()]);
    });

    for (const { s, i } of chosen) {
      it(s.name, async () => {
        const root = slug(s.name, i);
        const [fromApache, fromOurs] = await Promise.all([runOn(lib, apache!, s, root), ours ? runOn(lib, ours, s, root) : null]);
        const apacheText = JSON.stringify(fromApache, null, 1);
        if (APACHE_ONLY) console.log(`### ${s.name}\n${apacheText}`);
        // A scenario that breaks against ZooKeeper itself is a bug in the scenario, not a difference.
        expect(apacheText, `scenario broke against Apache ZooKeeper:\n${apacheText}`).not.toMatch(/scenarioThrew|scenarioTimedOut/);
        if (APACHE_ONLY) return;
        if (s.deviation && !APACHE_VS_APACHE) {
          expect(fromOurs, `deliberate difference (${s.deviation.why})\n--- Apache ZooKeeper:\n${apacheText}`).toEqual(s.deviation.ours(fromApache));
          return;
        }
        expect(fromOurs, `traces differ\n--- Apache ZooKeeper:\n${apacheText}\n--- our server:\n${JSON.stringify(fromOurs, null, 1)}`).toEqual(
          fromApache,
        );
      }, (s.timeoutMs ?? SCENARIO_TIMEOUT) + 10_000);
    }
  });
}

differentialSuite('differential: our server vs Apache ZooKeeper', 'default', { apache: () => startApacheZk(), ours: () => startOurServer() });
differentialSuite('differential (extended types, containers, super digest, fast ticks)', 'special', special);
differentialSuite('differential: our three-node ensemble (via a follower) vs Apache ZooKeeper', 'default', { apache: () => startApacheZk(), ours: () => startEnsembleAsServer() });
