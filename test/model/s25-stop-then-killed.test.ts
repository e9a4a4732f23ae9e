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
const watchOf = (w: World, name: string) => [...w.wd.watches.values()].find((x) => x.name === name);

describe("s25: an operator's stop healer saw, then healer stopped within the 5 s", () => {
  // Trigger: a failing container (liveness, `unhealthy` alerted, crash loop open) is stopped by an
  // operator; healer is killed (or upgraded) within the 5 s after which it ends the container's open
  // alerts. The state file holds them open, so the next healer took them up again: started again and
  // passing, the container got a `recovered` for a condition the stop had ended; failing, its
  // `unhealthy` was only re-told to Alertmanager (`reopened`), never fired anew to chat and webhooks.
  async function stoppedThenKilled(killWithin5s: boolean): Promise<{ w: World; from: number }> {
    const w = await World.create();
    worlds.push(w);
    const c = w.run('api', 'live', 'ok');
    await w.advance(5_000);
    w.engine.setApp(c, 'hang');
    for (let i = 0; i < 1_200 && watchOf(w, 'api')?.state.budget.loop !== 'open'; i++) await w.advance(100);
    expect(watchOf(w, 'api')?.state.budget.loop).toBe('open');
    // Running again after its last restart, still failing: the operator stops it.
    for (let i = 0; i < 400 && !(c.running && watchOf(w, 'api')?.state.lifecycle === 'running' && !watchOf(w, 'api')?.state.inFlight); i++) await w.advance(50);
    w.engine.stopNow(c);
    c.operatorStopped = true;
    await w.advance(killWithin5s ? 1_000 : 7_000);
    // The stop reaches the state file within its write gap (real time, not the simulated clock's).
    await w.state.flush();
    await w.killHealer();
    await w.clock.advance(10_000, () => w.settle());
    const from = w.alerts.length;
    await w.startHealer();
    await w.advance(2_000);
    return { w, from };
  }

  it.each([false, true])('killed within the 5 s: %s; started again and passing: no recovered, the loop closed', async (within) => {
    const { w, from } = await stoppedThenKilled(within);
    const c = w.engine.byName('api');
    if (!c) throw new Error('no api');
    expect(watchOf(w, 'api')?.state.budget.loop).toBe('closed');
    w.engine.setApp(c, 'ok');
    w.engine.startNow(c);
    await w.advance(20_000);
    expect(of(w, 'api', 'recovered', from)).toEqual([]);
  }, 60_000);

  it.each([false, true])('killed within the 5 s: %s; started again and failing: unhealthy fired anew', async (within) => {
    const { w, from } = await stoppedThenKilled(within);
    const c = w.engine.byName('api');
    if (!c) throw new Error('no api');
    w.engine.startNow(c);
    w.mark(c);
    await w.advance(10_000);
    expect(of(w, 'api', 'unhealthy', from).map((a) => a.reopened !== undefined)).toEqual([false]);
  }, 60_000);
});
