import { describe, expect, it } from 'vitest';
import type { ListedContainer } from '../../src/docker/list-states.ts';
import { STALL_GRACE_MS, StreamAudit } from '../../src/docker/stream-audit.ts';
import type { ContainerEvent } from '../../src/docker/types.ts';

// Review 24 (stall check): a container is removed (docker rm of an exited one, compose down, a --rm
// container's exit) while a list request is in flight. The list's snapshot was taken before the removal
// and shows it `exited`; its `destroy` event arrives (on a working stream) before the list's answer is
// read. `destroy` deletes what the audit knew of it, including that an event of it came after the list
// was asked for, so the stale list row is taken as news and stored as `listed`: the next list (without
// it) says "gone, no destroy event came", and one grace later the healthy stream is declared stalled,
// reopened and fully resynchronised, healer_docker_event_stalls_total rises and
// HealerEventStreamStalled fires for an hour.

const ev = (id: string, action: string): ContainerEvent => ({ id, name: 'web', action, health: undefined, exitCode: undefined, signal: undefined, labels: {}, time: 0 });
const row = (id: string, run: ListedContainer['run']): ListedContainer => ({ id, name: 'web', run, health: undefined });

describe('review24: a destroy that lands while a list is in flight', () => {
  it('is never taken for a stalled stream', () => {
    const a = new StreamAudit();
    // Seeded: web exited (a clean stop long ago).
    expect(a.list([row('c1', 'exited')], 0, 5)).toEqual([]);
    // The next check's list goes out at 60 s; the engine takes its snapshot (web still there, exited),
    // then web is removed and its destroy arrives before the answer is read.
    const askedAt = 60_000;
    a.event(ev('c1', 'destroy'), 60_020);
    expect(a.list([row('c1', 'exited')], askedAt, 60_050)).toEqual([]);
    // Later checks: web is gone (the stream told so).
    const t1 = 120_000;
    expect(a.list([], t1, t1 + 10)).toEqual([]);
    const t2 = t1 + 10 + STALL_GRACE_MS;
    expect(a.list([], t2, t2 + 10)).toEqual([]);
  });

  it('the same with a running container removed by docker rm -f (kill, die, destroy all land in the list window)', () => {
    const a = new StreamAudit();
    expect(a.list([row('c1', 'running')], 0, 5)).toEqual([]);
    const askedAt = 60_000;
    a.event(ev('c1', 'kill'), 60_010);
    a.event(ev('c1', 'die'), 60_011);
    a.event(ev('c1', 'destroy'), 60_030);
    // The snapshot was taken after the die and before the removal.
    expect(a.list([row('c1', 'exited')], askedAt, 60_050)).toEqual([]);
    const t1 = 120_000;
    expect(a.list([], t1, t1 + 10)).toEqual([]);
    const t2 = t1 + 10 + STALL_GRACE_MS;
    expect(a.list([], t2, t2 + 10)).toEqual([]);
  });
});
