import { afterEach, describe, expect, it } from 'vitest';
import type { AlertInput } from '../../src/alerting/alerter.ts';
import { World } from './harness.ts';
import { refusedStartThenNewHealer } from './restart-faults.ts';

// Session 25: a kept `held` and `restart_failed` (state file) are told again to Alertmanager by the next
// healer once it sees them still holding, as a kept crash loop and unhealthy are. Each test says its trigger.

const worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.dispose();
});

const of = (w: World, name: string, event: string, from = 0): AlertInput[] => w.alerts.slice(from).filter((a) => a.container?.name === name && a.event === event);

describe('s25: a kept held is re-told to Alertmanager only, when the new healer holds the start again', () => {
  // Trigger: a restart.on_exit container (no liveness probe) depends on `db`; it crashes while db fails, so
  // healer holds its start and alerts `held`; healer is restarted while db still fails. The new healer
  // sent `held` again to every channel (chat paged twice for one hold), and without it HealerRestartHeld
  // would have lapsed in Alertmanager by its resolve_timeout while the hold went on.
  it('held again: told once, as kept (firing since it was first alerted), then ended by recovered', async () => {
    const w = await World.create();
    worlds.push(w);
    const db = w.run('db', 'live', 'ok');
    const worker = w.engine.create('worker', { 'healer.enable': 'true', 'healer.restart.on_exit': 'true', 'healer.depends_on': 'db' }, { restartPolicy: 'no', app: 'ok' });
    w.engine.startNow(worker);
    await w.advance(5_000);
    w.engine.setApp(db, 'hang');
    await w.advance(3_000); // db judged unhealthy: its kept unhealthy holds the worker at the new healer's start too
    w.engine.crash(worker, 3);
    for (let i = 0; i < 100 && of(w, 'worker', 'held').length === 0; i++) await w.advance(100);
    expect(of(w, 'worker', 'held')).toHaveLength(1);
    const heldAt = w.clock.now();
    await w.state.flush();
    await w.killHealer();
    await w.clock.advance(10_000, () => w.settle());
    const from = w.alerts.length;
    await w.startHealer();
    await w.advance(5_000);
    expect(worker.running).toBe(false);
    const again = of(w, 'worker', 'held', from);
    expect(again.map((a) => a.reopened !== undefined)).toEqual([true]);
    expect(again[0]?.reopened?.at).toBeLessThanOrEqual(heldAt);
    expect(again[0]?.reopened?.at).toBeGreaterThan(heldAt - 1_000);
    w.engine.setApp(db, 'ok');
    await w.advance(60_000);
    expect(worker.running).toBe(true);
    expect(of(w, 'worker', 'recovered', from)).toHaveLength(1);
    expect(of(w, 'worker', 'held', from)).toHaveLength(1);
  }, 60_000);
});

describe('s25: a kept restart_failed is re-told to Alertmanager when the container is found still down', () => {
  // Trigger: healer's restart of `api` stopped it and the engine refused its start (restart_failed
  // alerted, HealerRestartFailed firing); healer is restarted before its retry. The new healer owed the
  // start but did not tell restart_failed again, so it lapsed in Alertmanager while the container was down.
  it('told again as kept, before the start that ends it with recovered', async () => {
    const w = await World.create();
    worlds.push(w);
    // Where the new healer's alerts begin, and when it starts (refusedStartThenNewHealer starts two).
    const second = { from: 0, at: 0 };
    const start = w.startHealer.bind(w);
    let starts = 0;
    w.startHealer = async (): Promise<void> => {
      if (++starts === 2) Object.assign(second, { from: w.alerts.length, at: w.clock.now() });
      await start();
    };
    await refusedStartThenNewHealer(w);
    expect(w.alerts.slice(0, second.from).filter((a) => a.container?.name === 'api' && a.event === 'restart_failed')).toHaveLength(1);
    const retold = of(w, 'api', 'restart_failed', second.from);
    expect(retold.map((a) => a.reopened !== undefined)).toEqual([true]);
    expect(retold[0]?.reopened?.at).toBeLessThan(second.at);
    expect(of(w, 'api', 'recovered', second.from)).toHaveLength(1);
  }, 60_000);
});
