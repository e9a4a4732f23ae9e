import { pino } from 'pino';
import { policyFromLabels } from '../../src/config/labels.ts';
import type { Prober } from '../../src/probes/types.ts';
import type { Clock } from '../../src/watchdog/clock.ts';
import { ContainerWatch, NO_OBSERVER, type WatchEffects } from '../../src/watchdog/container-watch.ts';
import { syntheticContainer } from './fake-engine.ts';

/**
 * A clock as the machine has one: timers on monotonic time, `now()` on the wall clock, which the test
 * can step without moving the timers. `monotonic: false` leaves out the clock's monotonic(), as a
 * fake clock may (healer then measures by now()).
 */
export function steppedClock(start = 1_800_000_000_000, opts: { monotonic?: boolean } = {}) {
  let mono = 0;
  let offset = start;
  const timers = new Map<object, { at: number; fn: () => void }>();
  const clock: Clock = {
    now: () => mono + offset,
    ...(opts.monotonic === false ? {} : { monotonic: () => mono }),
    setTimeout: (fn, ms) => {
      const h = {};
      timers.set(h, { at: mono + ms, fn });
      return h;
    },
    clearTimeout: (h) => void timers.delete(h),
  };
  return {
    clock,
    step: (ms: number) => (offset += ms),
    /** Real time passes with every timer lost (an event loop that stopped running them). */
    stall: (ms: number) => (mono += ms),
    /** Lets `ms` of real (monotonic) time pass, firing each timer when it is due. */
    async pass(ms: number) {
      const end = mono + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        mono = Math.max(mono, due[1].at);
        timers.delete(due[0]);
        due[1].fn();
        await new Promise((r) => setImmediate(r));
      }
      mono = end;
    },
  };
}

/** A ContainerWatch of `api` probed over HTTP every second by `prober` on `clock`, acting on nothing. */
export function probedWatch(clock: Clock, prober: Prober = { run: () => Promise.resolve({ ok: true, latencyMs: 1 }) }): ContainerWatch {
  const result = policyFromLabels({
    labels: { 'healer.enable': 'true', 'healer.liveness': 'http://127.0.0.1:1/', 'healer.liveness.interval': '1s' },
    prefix: 'healer',
    containerName: 'api',
    rawDefaults: {},
    imageHasHealthcheck: false,
  });
  if (!result.ok) throw new Error(result.errors.join('; '));
  const effects: WatchEffects = { act: () => Promise.resolve(), notify: () => undefined, context: () => ({ heldBy: undefined, paused: false }), changed: () => undefined };
  return new ContainerWatch({ ...syntheticContainer(0, {}), name: 'api' }, result.policy, {
    probers: { http: prober, tcp: prober, exec: prober },
    observer: NO_OBSERVER,
    clock,
    log: pino({ level: 'silent' }),
    effects,
    route: (watch) => ({ ok: true, target: { containerId: watch.id, address: '127.0.0.1' } }),
    dryRun: false,
  });
}
