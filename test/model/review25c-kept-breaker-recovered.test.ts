import { afterEach, describe, expect, it } from 'vitest';
import type { AlertInput } from '../../src/alerting/alerter.ts';
import { World } from './harness.ts';

// Review 25c. Trigger: 3 of 4 containers fail at once, the breaker opens (`paused`), healer is restarted
// (an upgrade) and the outage ends while no healer runs. The next healer restores each container's kept
// `unhealthy` (liveness judged down), so at synced() the breaker counts them as failing before any of its
// own probes ran, takes the kept breaker as "found open at once" and fires `paused` again to Alertmanager
// (firing since the old start) for an outage that is over; `resumed` follows a few seconds later.
// README: the kept breaker is told again once "found open (at once, or as their probes fail again)";
// kept alerts: "a condition found over is only resolved, never fired first". The kept tracks are
// unjudged until this healer's first probe, so they should not confirm the breaker open.

const worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.dispose();
});

const host = (w: World, event: string, from = 0): AlertInput[] => w.alerts.slice(from).filter((a) => a.container === undefined && a.event === event);

describe('review25c: the breaker kept open, the outage over before the next healer starts', () => {
  it('the next healer only resolves paused: it does not fire it again first', async () => {
    const w = await World.create();
    worlds.push(w);
    const cs = ['a', 'b', 'c', 'd'].map((n) => w.run(n, 'live', 'ok'));
    await w.advance(5_000);
    for (const c of cs.slice(0, 3)) w.engine.setApp(c, 'hang');
    for (let i = 0; i < 100 && !w.wd.paused; i++) await w.advance(100);
    expect(w.wd.paused).toBe(true);
    await w.advance(5_000);
    await w.state.flush();
    await w.killHealer();
    for (const c of cs) w.engine.setApp(c, 'ok'); // the outage ends while no healer runs
    await w.clock.advance(5_000, () => w.settle());
    const from = w.alerts.length;
    await w.startHealer();
    await w.advance(40_000);
    expect(w.wd.paused).toBe(false);
    expect(host(w, 'resumed', from)).toHaveLength(1);
    expect(host(w, 'paused', from)).toEqual([]);
  }, 60_000);
});
