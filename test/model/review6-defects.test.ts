import { describe, expect, it } from 'vitest';
import { drainingStop, onStop, stopForbidden } from './restart-faults.ts';
import { runWatched, worldsPerTest } from './worlds.ts';

// Sixth review: a concrete, legal sequence driven through the real Watchdog. Fails on main at 85add56.

const world = worldsPerTest();

const LIVE = { 'healer.enable': 'true', 'healer.liveness': 'tcp://127.0.0.1:1', 'healer.liveness.interval': '1s', 'healer.liveness.failures': '2' };
const QUARANTINE = { ...LIVE, 'healer.action': 'stop' };

describe('review6: refused quarantine stops in an episode that ended without healer stopping it (the app recovered)', () => {
  it('a later, separate episode backs off from backoff.initial again, not from where the old episode left off (Actor.stopFailures is never reset)', async () => {
    const w = await world();
    const stops: number[] = [];
    await onStop(w, (id) => {
      stops.push(w.clock.now());
      return stopForbidden(id);
    });
    await w.startHealer();
    const c = await runWatched(w, 'api', QUARANTINE);
    // Episode 1: unhealthy, the stop refused four times (backoff 2, 4, 8 s), then the app recovers.
    w.engine.setApp(c, 'hang');
    for (let i = 0; i < 25; i++) await w.clock.advance(1_000, () => w.settle());
    expect(stops.length).toBeGreaterThanOrEqual(4);
    w.engine.setApp(c, 'ok');
    // Healthy for well over backoff.reset (60 s in the model): a new episode starts afresh.
    for (let i = 0; i < 20; i++) await w.clock.advance(10_000, () => w.settle());
    const episode1 = stops.length;
    // Episode 2: the first refusal is retried after backoff.initial (2 s), as a first refused restart is.
    w.engine.setApp(c, 'hang');
    for (let i = 0; i < 30; i++) {
      await w.clock.advance(1_000, () => w.settle());
      if (stops.length > episode1) break;
    }
    expect(stops.length).toBe(episode1 + 1);
    const first = stops[episode1] ?? 0;
    for (let i = 0; i < 5; i++) await w.clock.advance(1_000, () => w.settle());
    // On main: the retry comes 16 s (backoff.max) later, the fifth attempt of the old episode.
    expect(stops.length).toBeGreaterThanOrEqual(episode1 + 2);
    expect((stops[episode1 + 1] ?? Infinity) - first).toBeLessThanOrEqual(3_000);
  }, 60_000);
});

describe('review6: a quarantine stop whose answer fails while the app drains its stop signal (draining: its exit is awaited)', () => {
  it('the status does not say `breaker` ("a restart waits for the mass-failure breaker") while healer waits for the drain, with the breaker closed', async () => {
    const w = await world();
    // The stop signal reaches the app, which drains for 40 s; the proxy in front gives up first.
    await onStop(w, (id) => drainingStop(w, id, 40_000));
    await w.startHealer();
    const c = await runWatched(w, 'api', QUARANTINE);
    w.engine.setApp(c, 'hang');
    for (let i = 0; i < 20; i++) await w.clock.advance(1_000, () => w.settle());
    expect(c.running).toBe(true);
    const st = w.wd.status();
    expect(st.paused).toBe(false);
    expect(st.containers.find((x) => x.name === 'api')?.state).not.toBe('breaker');
  }, 30_000);
});
