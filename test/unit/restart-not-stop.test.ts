import { describe, expect, it } from 'vitest';
import { unhealthyNotifyApi, worldsPerTest } from '../model/worlds.ts';
import { EventReader } from '../../src/watchdog/event-reader.ts';
import { STOP_END_DELAY_MS } from '../../src/watchdog/stop-end.ts';
import { fixture, replay } from '../helpers/replay-events.ts';

// Review 15 follow-up: an operator's stop ends a container's open alerts only once it has stayed
// stopped for STOP_END_DELAY_MS (stop-end.ts), because a `docker restart` / `podman restart` stops it
// too and only the start after it tells the two apart.

/** Per container, how long after each operator's down its next start came (Infinity: none came). */
function gapsAfterOperatorDown(file: string): Record<string, number[]> {
  const readers = new Map<string, EventReader>();
  const out: Record<string, number[]> = {};
  const downAt = new Map<string, number>();
  for (const ev of replay('podman', fixture(file))) {
    let r = readers.get(ev.id);
    if (!r) readers.set(ev.id, (r = new EventReader()));
    const input = r.read(ev, ev.time, undefined);
    if (input?.type === 'stopped' && input.by === 'operator' && !downAt.has(ev.name)) downAt.set(ev.name, ev.time);
    if (input?.type === 'started' && downAt.has(ev.name)) {
      (out[ev.name] ??= []).push(ev.time - (downAt.get(ev.name) ?? 0));
      downAt.delete(ev.name);
    }
  }
  for (const name of downAt.keys()) (out[name] ??= []).push(Infinity);
  return out;
}

const world = worldsPerTest();

describe('an operator stop, told apart from a restart', () => {
  it('Podman 4.3 (recorded): the restart\'s down is followed by its start well within the delay; a podman stop by none', () => {
    // pm1: `podman restart`, then kills and starts; pm4: a restart through the API, then removed running.
    const lifecycle = gapsAfterOperatorDown('podman-4.3-lifecycle.jsonl');
    expect(lifecycle.pm1?.[0]).toBeLessThan(STOP_END_DELAY_MS / 2);
    const filtered = gapsAfterOperatorDown('podman-4.3-filtered.jsonl');
    expect(filtered.pm4?.[0]).toBeLessThan(STOP_END_DELAY_MS / 2);
    expect(filtered.pm3).toEqual([Infinity]);
    // Recorded live here: `podman restart -t 1` of a `sleep` that ignores SIGTERM (restart, die 1 s
    // later, cleanup, init, start; no kill, no stop event): normalised to kill, die, start, restart.
    const live = gapsAfterOperatorDown('podman-4.3-restart.jsonl');
    expect(live['sec-restart-probe']?.[0]).toBeLessThan(STOP_END_DELAY_MS / 2);
  });

  it('a stop ends the open alerts once the container stayed stopped for the delay, not before', async () => {
    const w = await world();
    const c = await unhealthyNotifyApi(w);
    expect(w.alerts.some((a) => a.container?.id === c.id && a.event === 'unhealthy')).toBe(true);
    w.engine.stopNow(c);
    c.operatorStopped = true;
    await w.clock.advance(STOP_END_DELAY_MS - 1_000, () => w.settle());
    expect(w.stopsEnded).not.toContain(c.id);
    await w.clock.advance(2_000, () => w.settle());
    expect(w.stopsEnded).toContain(c.id);
  }, 30_000);

  it('a stop and a start by hand within the delay end nothing: the unhealthy alert stays open, not fired again', async () => {
    const w = await world();
    const c = await unhealthyNotifyApi(w);
    const unhealthy = (): number => w.alerts.filter((a) => a.container?.id === c.id && a.event === 'unhealthy').length;
    expect(unhealthy()).toBe(1);
    w.engine.stopNow(c);
    await w.clock.advance(1_000, () => w.settle());
    w.engine.startNow(c);
    await w.clock.advance(20_000, () => w.settle());
    expect(w.stopsEnded).not.toContain(c.id);
    expect(unhealthy()).toBe(1);
  }, 30_000);
});
