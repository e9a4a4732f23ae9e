import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { policyFromLabels } from '../../src/config/labels.ts';
import type { ContainerInfo } from '../../src/docker/types.ts';
import { createProbeDispatcher } from '../../src/probes/index.ts';
import { httpProber } from '../../src/probes/http.ts';
import type { Prober } from '../../src/probes/types.ts';
import type { Clock } from '../../src/watchdog/clock.ts';
import { ContainerWatch, NO_OBSERVER, type WatchEffects } from '../../src/watchdog/container-watch.ts';
import { MatchBudget } from '../../src/watchdog/match-budget.ts';
import { recoveredMeanwhile } from '../../src/watchdog/recheck.ts';
import { syntheticContainer } from '../helpers/fake-engine.ts';

// Session 25, item 1. Trigger: a container labelled healer.liveness=http://…, healer.liveness.body=<a slow
// pattern>, over its share of healer's time for body matching (match-budget.ts), whose liveness fails and
// whose restart waits for a slot (guards.max_concurrent_restarts). At its turn the restart re-checks
// liveness once (recheck.ts, ContainerWatch.passesNow): on main that probe matched the body without asking
// the budget, so a label author's slow pattern ran outside its share on that path (and was only charged
// after). Expected: the re-check asks the budget; told "not now", it gets no result, and the restart is
// neither sent (on a result it did not get) nor counted as recovered: it is held, and the container's next
// liveness probe (run within the budget) decides (a fail sends it, a pass recovers).

const info: ContainerInfo = { ...syntheticContainer(0, {}), name: 'api' };

/** A wall clock and a monotonic clock the test moves; timers never fire (nothing is scheduled here). */
function testClock(): { clock: Clock; mono: { at: number } } {
  const mono = { at: 5_000_000 };
  const clock: Clock = { now: () => 1_000_000 + mono.at, monotonic: () => mono.at, setTimeout: () => ({}), clearTimeout: () => undefined };
  return { clock, mono };
}

function watchOf(labels: Record<string, string>, http: Prober, budget: MatchBudget, clock: Clock, acted: string[]): ContainerWatch {
  const r = policyFromLabels({ labels, prefix: 'healer', containerName: 'api', rawDefaults: {}, imageHasHealthcheck: false });
  if (!r.ok) throw new Error(r.errors.join('; '));
  const effects: WatchEffects = {
    act: (_w, kind, _reason, cause) => {
      acted.push(`${kind}:${cause}`);
      return Promise.resolve();
    },
    notify: (_w, a) => {
      if (a.type === 'notify') acted.push(`notify ${a.event}`);
    },
    context: () => ({ heldBy: undefined, paused: false }),
    changed: () => undefined,
  };
  return new ContainerWatch(info, r.policy, {
    probers: { http, tcp: http, exec: http },
    observer: NO_OBSERVER,
    clock,
    log: pino({ level: 'silent' }),
    effects,
    route: (w) => ({ ok: true, target: { containerId: w.id, address: '127.0.0.1' } }),
    dryRun: false,
    matchBudget: budget,
  });
}

describe('s25: the liveness re-check of a queued restart is charged to, and gated by, the match budget', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
    server = undefined;
  });

  async function serve(body: () => string): Promise<{ port: number; hits: () => number }> {
    let hits = 0;
    server = createServer((_q, res) => {
      hits++;
      res.writeHead(200).end(body());
    });
    await new Promise<void>((ok) => server?.listen(0, '127.0.0.1', ok));
    return { port: (server.address() as AddressInfo).port, hits: () => hits };
  }

  it('over its share: no probe, no restart on a result it did not get, not recovered either: held', async () => {
    let answer = 'status: down';
    const { port, hits } = await serve(() => answer);
    const dispatcher = createProbeDispatcher();
    try {
      const { clock, mono } = testClock();
      const budget = new MatchBudget();
      const acted: string[] = [];
      const labels = { 'healer.enable': 'true', 'healer.liveness': `http://127.0.0.1:${port}/`, 'healer.liveness.body': 'status: up', 'healer.liveness.failures': '2' };
      const w = watchOf(labels, httpProber(dispatcher, () => mono.at), budget, clock, acted);
      // Its matching so far: 600 ms, at 5 % that is 12 s of healer's time: over its share for ~11 s.
      budget.verdict(w.id, mono.at);
      budget.ended(w.id, mono.at, 600);
      expect(budget.verdict(w.id, mono.at).delay).toBe(true);
      // Liveness fails twice: the restart is decided (and, in the real loop, waits for a slot).
      w.feed({ type: 'probe', role: 'liveness', ok: false, at: clock.now() });
      w.feed({ type: 'probe', role: 'liveness', ok: false, at: clock.now() });
      expect(acted).toEqual(['notify unhealthy', 'restart:liveness']);
      expect(w.state.inFlight).toBe(true);

      // Its turn: the re-check is refused by the budget. Nothing is probed (no match outside the budget).
      expect(await recoveredMeanwhile(w, info, true)).toBe('held');
      expect(hits()).toBe(0);
      // Even when the app would pass now: the re-check did not run, so it is not "recovered" either.
      answer = 'status: up';
      expect(await recoveredMeanwhile(w, info, true)).toBe('held');
      expect(hits()).toBe(0);
      expect(w.counts.probes.liveness.delayed, 'each refused re-check counted as a put-off probe').toBe(2);
    } finally {
      await dispatcher.close();
    }
  });

  it('within its share: the re-check runs and is charged', async () => {
    const { port, hits } = await serve(() => 'status: up');
    const dispatcher = createProbeDispatcher();
    try {
      const { clock, mono } = testClock();
      const budget = new MatchBudget();
      const labels = { 'healer.enable': 'true', 'healer.liveness': `http://127.0.0.1:${port}/`, 'healer.liveness.body': 'status: up' };
      // Each match takes 300 ms of the monotonic clock (a slow pattern): the prober reads it twice per match.
      let reads = 0;
      const w = watchOf(labels, httpProber(dispatcher, () => mono.at + 300 * Math.floor(reads++ / 2 + 0.5)), budget, clock, []);
      budget.verdict(w.id, mono.at);
      budget.ended(w.id, mono.at, 1);
      expect(await recoveredMeanwhile(w, info, true)).toBe('recovered');
      expect(hits()).toBe(1);
      // Charged: 300 ms at 5 % is 6 s ahead, over the one-second burst.
      expect(budget.verdict(w.id, mono.at).delay).toBe(true);
    } finally {
      await dispatcher.close();
    }
  });

  it('a held restart: the next failing liveness probe sends it, a passing one recovers', () => {
    const { clock } = testClock();
    const never: Prober = { run: () => Promise.reject(new Error('not probed in this test')) };
    for (const ok of [false, true]) {
      const acted: string[] = [];
      const w = watchOf({ 'healer.enable': 'true', 'healer.liveness': 'http://127.0.0.1:1/', 'healer.liveness.failures': '3' }, never, new MatchBudget(), clock, acted);
      for (let i = 0; i < 3; i++) w.feed({ type: 'probe', role: 'liveness', ok: false, at: clock.now() });
      expect(acted).toEqual(['notify unhealthy', 'restart:liveness']);
      w.feed({ type: 'restart_done', ok: true, skipped: true, held: { kind: 'restart', reason: '3 failed liveness probes in a row', cause: 'liveness' }, at: clock.now() });
      expect(w.state.inFlight).toBe(false);
      expect(w.state.budget.restarts).toHaveLength(0); // the restart counted at the decision is taken back
      w.feed({ type: 'probe', role: 'liveness', ok, at: clock.now() });
      expect(acted).toEqual(ok ? ['notify unhealthy', 'restart:liveness', 'notify recovered'] : ['notify unhealthy', 'restart:liveness', 'restart:liveness']);
    }
  });
});
