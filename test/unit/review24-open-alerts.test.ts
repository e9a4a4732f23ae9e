import { describe, expect, it } from 'vitest';
import { crashLoopingWorker, worldsPerTest } from '../model/worlds.ts';
import type { AlertInput } from '../../src/alerting/alerter.ts';
import type { World } from '../model/harness.ts';

// Review 24 (open alerts across healer's restarts): what Alertmanager is told by the next healer.

const world = worldsPerTest();

const of = (w: World, name: string, event: string, from = 0): AlertInput[] => w.alerts.slice(from).filter((a) => a.container?.name === name && a.event === event);

describe('review24: open alerts re-told at healer start', () => {
  // Trigger: a no-liveness (restart.on_exit) container crash-loops, healer alerts `crashloop` (Alertmanager:
  // HealerCrashLoop, kept firing by re-sends), healer is restarted while the loop is still open (kept in
  // the state file as `unresolved` and budget.loop). The next healer never re-tells Alertmanager the open
  // crash loop (only unhealthy/not_ready are `reopened`), so AM resolves HealerCrashLoop after
  // resolve_timeout although the loop goes on — and the commit says AM channels are told still-open conditions.
  it('a crash loop still open at healer start is re-told (reopened) to channels that keep conditions open', async () => {
    const w = await world();
    await crashLoopingWorker(w);
    expect(of(w, 'worker', 'crashloop')).toHaveLength(1);
    await w.killHealer();
    const from = w.alerts.length;
    await w.startHealer();
    await w.advance(2_000);
    const watch = [...w.wd.watches.values()].find((x) => x.name === 'worker');
    expect(watch?.state.budget.loop).toBe('open');
    // Still crash-looping: the condition is open; Alertmanager must keep hearing of it.
    expect(of(w, 'worker', 'crashloop', from).filter((a) => a.reopened !== undefined).length).toBeGreaterThan(0);
  }, 60_000);

  // Trigger: a Docker-HEALTHCHECK container alerted unhealthy, healer stopped, the container healthy again
  // before the next healer starts. The next healer fires HealerContainerUnhealthy at Alertmanager
  // (`reopened`) for a condition that is over, then resolves it in the same breath: AM gets a firing alert
  // for a healthy container (with group_wait a notification of it can still go out).
  it('a docker container found healthy at start is not re-told as unhealthy (only recovered)', async () => {
    const w = await world();
    const c = w.run('api', 'docker', 'ok');
    await w.advance(5_000);
    w.engine.setApp(c, 'hang');
    for (let i = 0; i < 300 && of(w, 'api', 'unhealthy').length === 0; i++) await w.advance(100);
    expect(of(w, 'api', 'unhealthy')).toHaveLength(1);
    await w.killHealer();
    w.engine.setApp(c, 'ok');
    await w.clock.advance(20_000, () => w.settle());
    const from = w.alerts.length;
    await w.startHealer();
    await w.advance(5_000);
    expect(of(w, 'api', 'recovered', from)).toHaveLength(1);
    expect(of(w, 'api', 'unhealthy', from)).toEqual([]);
  }, 60_000);
});
