import { afterEach, describe, expect, it } from 'vitest';
import type { AlertInput } from '../../src/alerting/alerter.ts';
import { World } from './harness.ts';

// Session 25: the mass-failure breaker across healer's own restarts. Trigger: 3 of 4 watched containers
// fail at once, the breaker opens (`paused` alerted, no restarts), and healer is restarted (an upgrade, an
// OOM kill) while they still fail. The next healer started with the breaker closed: it restarted the
// failing containers within seconds (the breaker reassesses every 30 s, or when a container's failing
// flips, and the kept `unhealthy` already counts them as failing), and when they recovered it never sent
// the `resumed` that ends the `paused` its predecessor sent.

const worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.dispose();
});

const host = (w: World, event: string, from = 0): AlertInput[] => w.alerts.slice(from).filter((a) => a.container === undefined && a.event === event);

async function breakerOpenThenRestarted(): Promise<{ w: World; names: string[]; from: number; restartedAt: number }> {
  const w = await World.create();
  worlds.push(w);
  const names = ['a', 'b', 'c', 'd'];
  const cs = names.map((n) => w.run(n, 'live', 'ok'));
  await w.advance(5_000);
  for (const c of cs.slice(0, 3)) w.engine.setApp(c, 'hang');
  for (let i = 0; i < 100 && !w.wd.paused; i++) await w.advance(100);
  expect(w.wd.paused).toBe(true);
  expect(host(w, 'paused')).toHaveLength(1);
  await w.advance(5_000);
  await w.state.flush(); // what reached the file within its write gap
  await w.killHealer();
  await w.clock.advance(5_000, () => w.settle());
  const from = w.alerts.length;
  const restartedAt = w.clock.now();
  await w.startHealer();
  return { w, names, from, restartedAt };
}

describe('s25: the breaker kept open across a healer restart', () => {
  it('the next healer restarts none of the failing containers while they still fail together, and tells no new paused', async () => {
    const { w, from, restartedAt } = await breakerOpenThenRestarted();
    await w.advance(20_000);
    expect(w.wd.paused).toBe(true);
    const restarts = w.engine.actions.filter((a) => a.at >= restartedAt && (a.kind === 'restart' || a.kind === 'start'));
    expect(restarts.map((a) => a.before?.name)).toEqual([]);
    // Already told: chat and webhooks are not paged again; Alertmanager is told it again, since it began.
    const paused = host(w, 'paused', from);
    expect(paused.map((a) => a.reopened !== undefined)).toEqual([true]);
    expect(host(w, 'resumed', from)).toEqual([]);
  }, 60_000);

  it('they recover: the next healer sends the resumed that ends its predecessor paused, once', async () => {
    const { w, from } = await breakerOpenThenRestarted();
    for (const c of w.containersOf()) w.engine.setApp(c, 'ok');
    await w.advance(40_000);
    expect(w.wd.paused).toBe(false);
    expect(host(w, 'resumed', from)).toHaveLength(1);
    expect(host(w, 'paused', from).filter((a) => a.reopened === undefined)).toEqual([]);
  }, 60_000);
});
