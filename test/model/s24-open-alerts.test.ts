import { describe, expect, it } from 'vitest';
import { worldsPerTest } from './worlds.ts';
import type { AlertInput } from '../../src/alerting/alerter.ts';
import type { World } from './harness.ts';

// healer killed (an upgrade, a reboot, an OOM kill) after alerting `unhealthy`, the container healthy again
// before the next healer starts: the open alert lived only in the old healer's memory, so the `recovered`
// that ends it never came. It is kept in the state file now and the next healer ends it, once, measured
// from the first failure the old healer saw; Alertmanager-like channels are told it again (`reopened`).

const world = worldsPerTest();

const of = (w: World, name: string, event: string, from = 0): AlertInput[] => w.alerts.slice(from).filter((a) => a.container?.name === name && a.event === event);

describe('s24: open alerts across healer restarts', () => {
  it.each(['live', 'docker'] as const)('a %s container healthy again while no healer ran gets one recovered from the next', async (kind) => {
    const w = await world();
    const c = w.run('api', kind, 'ok');
    await w.advance(5_000);
    w.engine.setApp(c, 'hang');
    for (let i = 0; i < 100 && of(w, 'api', 'unhealthy').length === 0; i++) await w.advance(100);
    expect(of(w, 'api', 'unhealthy')).toHaveLength(1);
    const alertedAt = w.clock.now();
    await w.killHealer();
    w.engine.setApp(c, 'ok');
    await w.clock.advance(10_000, () => w.settle());
    const from = w.alerts.length;
    const restartedAt = w.clock.now();
    await w.startHealer();
    await w.advance(20_000);
    const recovered = of(w, 'api', 'recovered', from);
    expect(recovered).toHaveLength(1);
    expect(recovered[0]?.recoveryMs).toBeGreaterThanOrEqual(restartedAt - alertedAt);
    // Over before this healer saw it: not told again at all (not even `reopened`), only ended (review 24).
    expect(of(w, 'api', 'unhealthy', from)).toEqual([]);
    // Ended: a further restart of healer sends nothing more.
    await w.killHealer();
    const later = w.alerts.length;
    await w.startHealer();
    await w.advance(20_000);
    expect(w.alerts.slice(later).filter((a) => a.container?.name === 'api').map((a) => [a.event, a.reason, a.reopened])).toEqual([]);
  }, 30_000);

  it('a container failing still after the restart is kept open (re-told to Alertmanager), acted on, and ended when it passes', async () => {
    const w = await world();
    const c = w.run('api', 'live', 'ok');
    await w.advance(5_000);
    w.engine.setApp(c, 'hang');
    for (let i = 0; i < 100 && of(w, 'api', 'unhealthy').length === 0; i++) await w.advance(100);
    await w.killHealer();
    const from = w.alerts.length;
    await w.startHealer();
    await w.advance(10_000);
    expect(of(w, 'api', 'unhealthy', from).map((a) => a.reopened !== undefined)).toEqual([true]);
    expect(of(w, 'api', 'recovered', from)).toEqual([]);
    w.engine.setApp(c, 'ok');
    await w.advance(30_000);
    expect(of(w, 'api', 'recovered', from)).toHaveLength(1);
  }, 30_000);

  it('a container removed while no healer ran: nothing is sent for it', async () => {
    const w = await world();
    const c = w.run('api', 'live', 'ok');
    await w.advance(5_000);
    w.engine.setApp(c, 'hang');
    for (let i = 0; i < 100 && of(w, 'api', 'unhealthy').length === 0; i++) await w.advance(100);
    await w.killHealer();
    w.engine.remove(c);
    const from = w.alerts.length;
    await w.startHealer();
    await w.advance(20_000);
    expect(w.alerts.slice(from).filter((a) => a.container?.name === 'api')).toEqual([]);
  }, 30_000);

  // Review 24: re-firing the kept alert of a container an operator stopped while no healer ran kept
  // Alertmanager paging for a container that is down on purpose (live, an operator's stop ends it).
  it('a container stopped while no healer ran is not re-fired while it stays stopped; started and passing, it is recovered', async () => {
    const w = await world();
    const c = w.run('api', 'live', 'ok');
    await w.advance(5_000);
    w.engine.setApp(c, 'hang');
    for (let i = 0; i < 100 && of(w, 'api', 'unhealthy').length === 0; i++) await w.advance(100);
    expect(of(w, 'api', 'unhealthy')).toHaveLength(1);
    await w.killHealer();
    w.engine.stopNow(c);
    c.operatorStopped = true;
    w.engine.setApp(c, 'ok');
    const from = w.alerts.length;
    await w.startHealer();
    await w.advance(20_000);
    expect(of(w, 'api', 'unhealthy', from)).toEqual([]);
    w.engine.startNow(c);
    await w.advance(20_000);
    expect(of(w, 'api', 'recovered', from)).toHaveLength(1);
    expect(of(w, 'api', 'unhealthy', from)).toEqual([]);
  }, 30_000);
});
