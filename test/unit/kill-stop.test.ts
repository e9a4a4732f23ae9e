import { describe, expect, it } from 'vitest';
import { EventReader } from '../../src/watchdog/event-reader.ts';
import { fixture, replay } from '../helpers/replay-events.ts';

// How a kill and a stop read, from event streams recorded here, one container per case:
//  Docker 20.10: dk `docker kill`; ds `docker stop -t 1` of an app that ignores SIGTERM; dt `docker stop`
//    of an app that exits 143 on SIGTERM; d9 `kill -9` of its process from the host (not through the engine).
//  Podman 4.3 (its compat socket): pk `podman kill`; ps `podman stop -t 1` of an app that ignores SIGTERM
//    (only `die 137`: no kill, no stop event); pt `podman stop` of an app that exits 143 on SIGTERM (only
//    `die 143`); pa `POST /containers/{id}/kill` (a kill without its signal, then `die 137`); p9 `kill -9`.
// A plain kill through the engine is an operator's stop on both (healer leaves the container stopped, as
// the README says of `docker kill`), and so is every stop; a SIGKILL from outside the engine is a crash on
// both. On Podman p9 and ps leave the same `die 137` (no kill, no stop event); the `cleanup` events after
// it differ: one after an exit, two after a stop.

/** What each container's exit reads as for the state machine, after the engine's dialect is normalised. */
function downs(kind: 'docker' | 'podman', file: string): Record<string, string> {
  const readers = new Map<string, EventReader>();
  const out: Record<string, string> = {};
  for (const ev of replay(kind, fixture(file))) {
    let r = readers.get(ev.id);
    if (!r) readers.set(ev.id, (r = new EventReader()));
    const input = r.read(ev, ev.time, undefined);
    if (input?.type === 'stopped') out[ev.name] = input.by === 'operator' ? 'operator stop' : `exit ${input.exitCode ?? '?'}`;
  }
  return out;
}

describe('a kill and a stop, recorded on both engines', () => {
  it('Docker: `docker kill` and `docker stop` are operator stops; a SIGKILL from outside the engine is an exit (137)', () => {
    expect(downs('docker', 'docker-20.10-kill-stop.jsonl')).toEqual({ dk: 'operator stop', ds: 'operator stop', dt: 'operator stop', d9: 'exit 137' });
  });

  it('Podman: `podman kill`, an API kill and `podman stop` read as on Docker', () => {
    const podman = downs('podman', 'podman-4.3-kill-stop.jsonl');
    expect({ pk: podman.pk, pa: podman.pa, ps: podman.ps, pt: podman.pt }).toEqual({ pk: 'operator stop', pa: 'operator stop', ps: 'operator stop', pt: 'operator stop' });
  });

  it('Podman: a SIGKILL from outside the engine is an exit (137), as on Docker, though it leaves the same die as a `podman stop` that needed SIGKILL (its one cleanup tells it apart)', () => {
    expect(downs('podman', 'podman-4.3-kill-stop.jsonl').p9).toBe('exit 137');
  });
});
