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
