import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { policyFromLabels } from '../../src/config/labels.ts';
import type { ContainerInfo } from '../../src/docker/types.ts';
import type { Prober } from '../../src/probes/types.ts';
import type { Clock } from '../../src/watchdog/clock.ts';
import { ContainerWatch, type Observer, type WatchEffects } from '../../src/watchdog/container-watch.ts';
import { summaryState } from '../../src/watchdog/status.ts';
import { syntheticContainer } from '../helpers/fake-engine.ts';

/** A clock whose timers fire only when the test says so: the probe loop can be "stalled" on purpose. */
function manualClock(start = 1_000_000) {
  let now = start;
  const timers = new Map<object, { at: number; fn: () => void }>();
  const clock: Clock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const h = {};
      timers.set(h, { at: now + ms, fn });
      return h;
    },
    clearTimeout: (h) => void timers.delete(h),
  };
  return {
    clock,
    advance: (ms: number) => (now += ms),
    /** When the earliest timer is due. */
    nextAt: () => Math.min(...[...timers.values()].map((t) => t.at)),
    /** Fires every timer due by now. */
    fireDue: () => {
      for (const [h, t] of [...timers]) {
        if (t.at <= now) {
          timers.delete(h);
          t.fn();
        }
      }
    },
  };
}

const info: ContainerInfo = { ...syntheticContainer(0, {}), name: 'api', project: 'shop', service: 'api' };

function watch(labels: Record<string, string>, probeOk: () => boolean | 'refused') {
  const result = policyFromLabels({ labels, prefix: 'healer', containerName: 'api', rawDefaults: {}, imageHasHealthcheck: false });
  if (!result.ok) throw new Error(result.errors.join('; '));
  const m = manualClock();
  const acted: string[] = [];
  const observed: string[] = [];
  const prober: Prober = {
    run: () => {
      const ok = probeOk();
      return Promise.resolve(ok === 'refused' ? { ok: false, latencyMs: 3, error: 'could not run the probe: refused', inconclusive: true } : { ok, latencyMs: 3 });
    },
  };
  const observer: Observer = {
    probe: (kind, s) => observed.push(`probe ${kind} ${s}`),
    drift: (s) => observed.push(`drift ${s}`),
    recovered: (s) => observed.push(`recovered ${s}`),
    watchError: () => observed.push('watch error'),
  };
  const effects: WatchEffects = {
    act: (_w, kind, _reason, cause) => {
      acted.push(`${kind}:${cause}`);
      return Promise.resolve();
    },
    notify: (_w, a) => {
      if (a.type === 'notify') observed.push(`notify ${a.event}${a.recoveryMs !== undefined ? ` ${a.recoveryMs}` : ''}`);
    },
    context: () => ({ heldBy: undefined, paused: false }),
    changed: () => undefined,
  };
  const w = new ContainerWatch(info, result.policy, {
    probers: { http: prober, tcp: prober, exec: prober },
    observer,
    clock: m.clock,
    log: pino({ level: 'silent' }),
    effects,
    route: (w) => ({ ok: true, target: { containerId: w.id, address: '127.0.0.1' } }),
    dryRun: false,
  });
  return { w, m, acted, observed };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('ContainerWatch, as the metrics and /healthz see it', () => {
  it('reports a probe schedule that stopped firing as overdue, and on time again once it fires', async () => {
    const { w, m } = watch({ 'healer.liveness': 'http://127.0.0.1:1/', 'healer.liveness.interval': '1s' }, () => true);
    w.start();
    expect(w.overdueMs(m.clock.now())).toBe(0);
    const due = m.nextAt();
    m.advance(due - m.clock.now() + 19_000); // the timer should have fired 19 s ago
    expect(w.overdueMs(m.clock.now())).toBe(19_000);
    m.fireDue();
    await flush();
    expect(w.overdueMs(m.clock.now())).toBe(0);
    await w.close();
    m.advance(60_000);
    expect(w.overdueMs(m.clock.now())).toBe(0); // a closed watch is not a stalled one
  });

  it('counts probe results, observes drift and latency, and names its state: starting, healthy, unhealthy, restarting', async () => {
    let ok = true;
    const { w, m, acted, observed } = watch({ 'healer.liveness': 'http://127.0.0.1:1/', 'healer.liveness.interval': '1s', 'healer.liveness.failures': '2' }, () => ok);
    w.start();
    expect(summaryState(w, m.clock.now())).toBe('starting');
    const tick = async (late = 0) => {
      m.advance(m.nextAt() - m.clock.now() + late);
      m.fireDue();
      await flush();
    };
    await tick(250);
    expect(summaryState(w, m.clock.now())).toBe('healthy');
    expect(observed).toEqual(['drift 0.25', 'probe http 0.003']);
    ok = false;
    await tick();
    expect(summaryState(w, m.clock.now())).toBe('healthy'); // one failure of two
    await tick();
    expect(acted).toEqual(['restart:liveness']);
    expect(summaryState(w, m.clock.now())).toBe('restarting');
    expect(w.counts.probes.liveness).toEqual({ success: 1, failure: 2, error: 0, delayed: 0 });
    w.feed({ type: 'restart_done', ok: true, at: m.clock.now() });
    expect(summaryState(w, m.clock.now())).toBe('unhealthy'); // until a probe passes again
    ok = true;
    await tick();
    expect(summaryState(w, m.clock.now())).toBe('healthy');
    expect(observed.filter((o) => o.startsWith('notify'))).toEqual(['notify unhealthy', 'notify recovered 2000']); // first failure to passing: 2 intervals
    await w.close();
  });

  it('names a container with no liveness check running, and one down after a crash exited', () => {
    const { w, m } = watch({}, () => true);
    expect(summaryState(w, m.clock.now())).toBe('running');
    w.feed({ type: 'stopped', by: 'exit', exitCode: 1, oom: false, at: m.clock.now() });
    expect(summaryState(w, m.clock.now())).toBe('exited');
    w.feed({ type: 'started', at: m.clock.now() });
    w.feed({ type: 'stopped', by: 'operator', at: m.clock.now() });
    expect(summaryState(w, m.clock.now())).toBe('stopped');
  });

  it('never acts on probes healer could not run (an exec the engine or a socket proxy refused), and says so once', async () => {
    const { w, m, acted } = watch({ 'healer.liveness': 'exec:true', 'healer.liveness.interval': '1s', 'healer.liveness.failures': '1' }, () => 'refused');
    w.start();
    for (let i = 0; i < 5; i++) {
      m.advance(m.nextAt() - m.clock.now());
      m.fireDue();
      await flush();
    }
    expect(acted).toEqual([]);
    expect(w.counts.probes.liveness).toEqual({ success: 0, failure: 0, error: 5, delayed: 0 });
    expect(summaryState(w, m.clock.now())).toBe('starting');
    expect(w.last.liveness?.error).toBe('could not run the probe: refused');
    await w.close();
  });
});
