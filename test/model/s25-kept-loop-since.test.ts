import { afterEach, describe, expect, it } from 'vitest';
import type { AlertInput } from '../../src/alerting/alerter.ts';
import { World } from './harness.ts';

// Session 25: open conditions kept across healer's own restarts (the state file), defects left
// after session 24. Each test says its trigger.

const worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.dispose();
});

const of = (w: World, name: string, event: string, from = 0): AlertInput[] => w.alerts.slice(from).filter((a) => a.container?.name === name && a.event === event);

describe('s25: a kept crash loop fires since the loop began', () => {
  // Trigger: a restart.on_exit container (no liveness probe) crash-loops and healer alerts `crashloop`;
  // healer is restarted a minute later while the container is still down after its crash. The next
  // healer re-tells the loop to Alertmanager as firing since its own start (startsAt moved forward by
  // the healer's downtime), not since the loop began: the loop looks a minute younger than it is.
  it('the re-told crashloop carries the time the loop was alerted, not the new healer start', async () => {
    const w = await World.create();
    worlds.push(w);
    const c = w.engine.create('worker', { 'healer.enable': 'true', 'healer.restart.on_exit': 'true', 'healer.crashloop.restarts': '1' }, { restartPolicy: 'no', app: 'ok' });
    w.engine.startNow(c);
    await w.advance(3_000);
    w.engine.setApp(c, 'crashloop');
    w.engine.crash(c, 3);
    for (let i = 0; i < 600 && of(w, 'worker', 'crashloop').length === 0; i++) await w.advance(100);
    expect(of(w, 'worker', 'crashloop')).toHaveLength(1);
    const alertedAt = w.clock.now();
    await w.advance(5_000);
    expect(c.running).toBe(false);
    await w.killHealer();
    await w.clock.advance(60_000, () => w.settle());
    const from = w.alerts.length;
    await w.startHealer();
    await w.advance(1_000);
    const reopened = of(w, 'worker', 'crashloop', from);
    expect(reopened.map((a) => a.reopened !== undefined)).toEqual([true]);
    const since = reopened[0]?.reopened?.at ?? 0;
    expect(since).toBeLessThanOrEqual(alertedAt);
    expect(since).toBeGreaterThan(alertedAt - 1_000);
  }, 60_000);
});

describe('s25: a kept crash loop of a container with a liveness probe is re-told too', () => {
  // Trigger: a container with a liveness probe fails on and healer's restarts open a crash loop
  // (`crashloop` alerted, HealerCrashLoop firing). healer is restarted while it still fails: the next
  // healer re-told only its `unhealthy` to Alertmanager, so HealerCrashLoop lapsed by resolve_timeout
  // while the loop went on (the open loop alerts nothing anew).
  it('re-told with its unhealthy, since the loop was alerted', async () => {
    const w = await World.create();
    worlds.push(w);
    const c = w.run('api', 'live', 'ok');
    await w.advance(5_000);
    w.engine.setApp(c, 'hang');
    for (let i = 0; i < 1_200 && of(w, 'api', 'crashloop').length === 0; i++) await w.advance(100);
    expect(of(w, 'api', 'crashloop')).toHaveLength(1);
    const alertedAt = w.clock.now();
    await w.advance(1_000);
    await w.state.flush();
    await w.killHealer();
    await w.clock.advance(10_000, () => w.settle());
    const from = w.alerts.length;
    await w.startHealer();
    await w.advance(10_000);
    expect(of(w, 'api', 'unhealthy', from).map((a) => a.reopened !== undefined)).toEqual([true]);
    const loop = of(w, 'api', 'crashloop', from);
    expect(loop.map((a) => a.reopened !== undefined)).toEqual([true]);
    expect(loop[0]?.reopened?.at).toBeLessThanOrEqual(alertedAt);
    expect(loop[0]?.reopened?.at).toBeGreaterThan(alertedAt - 1_000);
  }, 60_000);
});
