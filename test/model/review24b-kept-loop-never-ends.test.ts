import { describe, expect, it } from 'vitest';
import { crashLoopingWorker, worldsPerTest } from './worlds.ts';
import type { AlertInput } from '../../src/alerting/alerter.ts';
import type { World } from './harness.ts';

// Review 24b (kept alerts across healer's restarts). Trigger: a restart.on_exit container (no liveness
// probe) crash-loops; healer alerts `crashloop` and stops restarting it (down, loop open). Healer is
// restarted (upgrade, OOM): the next healer re-tells the kept crash loop to Alertmanager (`reopened`).
// The operator then fixes the app and starts the container; it runs fine for an hour. Without the healer
// restart the same world sends `recovered` and closes the loop; with it, the loop stays open, the
// condition `unresolved` (state file, status page `crashloop`) and no `recovered` ever comes: the
// re-fired HealerCrashLoop is never resolved by healer and chat channels never hear the end.

const world = worldsPerTest();

const of = (w: World, event: string, from: number): AlertInput[] => w.alerts.slice(from).filter((a) => a.container?.name === 'worker' && a.event === event);

async function scenario(restartHealer: boolean): Promise<{ w: World; from: number }> {
  const w = await world();
  const c = await crashLoopingWorker(w);
  expect(of(w, 'crashloop', 0)).toHaveLength(1);
  await w.advance(5_000);
  expect(c.running).toBe(false);
  const from = w.alerts.length;
  if (restartHealer) {
    await w.killHealer();
    await w.startHealer();
  }
  await w.advance(5_000);
  // The operator fixes the app and starts the container; it then runs and stays up.
  w.engine.setApp(c, 'ok');
  w.engine.startNow(c);
  await w.advance(3_600_000);
  expect(c.running).toBe(true);
  return { w, from };
}

describe('review24b: a kept crash loop ends like a live one', () => {
  it('without a healer restart (reference): recovered once, loop closed', async () => {
    const { w, from } = await scenario(false);
    expect(of(w, 'recovered', from)).toHaveLength(1);
    const watch = [...w.wd.watches.values()].find((x) => x.name === 'worker');
    expect(watch?.state.unresolved).toBe(false);
  }, 120_000);

  it('after a healer restart that re-told the loop: recovered once, loop closed (fails: never ends)', async () => {
    const { w, from } = await scenario(true);
    expect(of(w, 'crashloop', from).filter((a) => a.reopened !== undefined)).toHaveLength(1);
    const watch = [...w.wd.watches.values()].find((x) => x.name === 'worker');
    expect(watch?.state.unresolved).toBe(false);
    expect(watch?.state.budget.loop).toBe('closed');
    expect(of(w, 'recovered', from)).toHaveLength(1);
  }, 120_000);
});

describe('review24b (fix): a restored watch arms the budget reset a live one armed', () => {
  // Trigger: the operator starts the fixed container while healer runs (the reset wake is armed), then
  // healer is restarted: the new watch must arm that reset itself, nothing else ever asks it to.
  it('healer restarted while the fixed container runs with its loop open: recovered once, loop closed', async () => {
    const w = await world();
    const c = await crashLoopingWorker(w);
    await w.advance(5_000);
    expect(c.running).toBe(false);
    w.engine.setApp(c, 'ok');
    w.engine.startNow(c);
    await w.advance(5_000);
    const from = w.alerts.length;
    await w.killHealer();
    await w.startHealer();
    await w.advance(3_600_000);
    expect(c.running).toBe(true);
    const watch = [...w.wd.watches.values()].find((x) => x.name === 'worker');
    expect(watch?.state.budget.loop).toBe('closed');
    expect(watch?.state.unresolved).toBe(false);
    expect(of(w, 'recovered', from)).toHaveLength(1);
  }, 120_000);
});
