import { describe, expect, it } from 'vitest';
import { worldsPerTest } from './worlds.ts';

// Third adversarial review: each test drives the real Watchdog through one concrete, legal sequence.

const world = worldsPerTest();

describe('review3: a SIGTERM the container survives, then its Docker HEALTHCHECK turns unhealthy', () => {
  it('healer restarts it once the stop window is over (the unhealthy verdict is not dropped for good)', async () => {
    const w = await world();
    // Docker HEALTHCHECK only (health events come on a change only).
    const c = w.engine.create('api', { 'healer.enable': 'true' }, { healthcheck: true });
    w.engine.startNow(c);
    await w.settle();
    await w.clock.advance(5_000, () => w.settle());
    const n = w.engine.actions.length;
    // `docker kill -s TERM api` on a PID 1 with no SIGTERM handler (sh -c, a plain binary): the kernel
    // ignores it and the container keeps running. No die follows.
    const eng = w.engine as unknown as { emit(c: unknown, action: string, attrs?: Record<string, string>): void };
    eng.emit(c, 'kill', { signal: '15' });
    await w.clock.advance(2_000, () => w.settle());
    // Its app then hangs: the HEALTHCHECK reports unhealthy (once: Docker reports a change only).
    w.engine.setApp(c, 'hang');
    await w.clock.advance(5_000, () => w.settle());
    expect(c.running).toBe(true);
    // Long after the 60 s window, the unhealthy container is still running and never restarted.
    await w.clock.advance(180_000, () => w.settle());
    expect(w.engine.actions.slice(n).map((a) => a.kind)).toContain('restart');
  }, 30_000);
});

describe('review3 control: the same HEALTHCHECK container without the survived SIGTERM', () => {
  it('is restarted (so the failure above is the dropped verdict, not the harness)', async () => {
    const w = await world();
    const c = w.engine.create('api', { 'healer.enable': 'true' }, { healthcheck: true });
    w.engine.startNow(c);
    await w.settle();
    await w.clock.advance(7_000, () => w.settle());
    const n = w.engine.actions.length;
    w.engine.setApp(c, 'hang');
    await w.clock.advance(5_000, () => w.settle());
    await w.clock.advance(180_000, () => w.settle());
    expect(w.engine.actions.slice(n).map((a) => a.kind)).toContain('restart');
  }, 30_000);
});
