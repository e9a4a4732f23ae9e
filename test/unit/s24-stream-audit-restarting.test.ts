import { describe, expect, it } from 'vitest';
import type { ListedContainer } from '../../src/docker/list-states.ts';
import { STALL_GRACE_MS, StreamAudit } from '../../src/docker/stream-audit.ts';
import type { ContainerEvent } from '../../src/docker/types.ts';

// Docker's `restarting` in the stall check (stream-audit.ts): a container its restart policy crash-loops
// shows running and restarting by turns. On a stalled stream that is an untold die (found after the
// grace even when the list shows it running again); on a working stream every die and start arrives,
// so however fast the loop, nothing is found. The real engine: test/e2e/review24-stall-policy-loop.test.ts.

const ev = (id: string, action: string): ContainerEvent => ({ id, name: 'looper', action, health: undefined, exitCode: undefined, signal: undefined, labels: {}, time: 0 });
const row = (id: string, run: ListedContainer['run']): ListedContainer => ({ id, name: 'looper', run, health: undefined });

describe('StreamAudit and a restart-policy crash loop', () => {
  it('stalled: restarting while the events said running, then running and restarting by turns, is found once it outlasts the grace', () => {
    const a = new StreamAudit();
    expect(a.list([row('l', 'running')], 0, 5)).toEqual([]);
    expect(a.list([row('l', 'restarting')], 60_000, 60_005)).toEqual([]);
    expect(a.suspicious).toBe(true);
    // The next lists catch it running (just started again): still an untold restart.
    expect(a.list([row('l', 'running')], 62_000, 62_005)).toEqual([]);
    expect(a.list([row('l', 'restarting')], 64_000, 64_005)).toEqual([]);
    const missed = a.list([row('l', 'running')], 60_000 + STALL_GRACE_MS, 60_000 + STALL_GRACE_MS + 5);
    expect(missed).toEqual([{ id: 'l', name: 'looper', what: 'restarting, the events said running' }]);
  });

  it('working stream: a crash loop every 0.3 s for 35 s with a list every 2 s finds nothing', () => {
    const a = new StreamAudit();
    expect(a.list([row('l', 'running')], 0, 5)).toEqual([]);
    // Each 300 ms: dies at +0 (restarting in the engine; its die event arrives 5 ms later), starts at +100 ms.
    let found = 0;
    for (let t = 1_000; t < 36_000; t += 100) {
      const phase = t % 300;
      if (phase === 0) {
        // The list's snapshot may show restarting before the die arrives: it is asked for now, the die comes after.
        found += a.list([row('l', 'restarting')], t, t + 1).length;
        a.event(ev('l', 'die'), t + 5);
      } else if (phase === 100) {
        a.event(ev('l', 'start'), t);
      } else if (t % 2_000 === 200) {
        found += a.list([row('l', 'running')], t, t + 1).length;
      }
    }
    // Long backoffs (Docker doubles up to 1 min): restarting for a long time after its die was told.
    a.event(ev('l', 'die'), 40_000);
    for (let t = 41_000; t < 100_000; t += 2_000) found += a.list([row('l', 'restarting')], t, t + 1).length;
    expect(found).toBe(0);
    expect(a.suspicious).toBe(false);
  });

  it('a container first listed restarting is not judged until an event or a list says more', () => {
    const a = new StreamAudit();
    expect(a.list([row('l', 'restarting')], 0, 5)).toEqual([]);
    expect(a.list([row('l', 'restarting')], 60_000, 60_005)).toEqual([]);
    expect(a.list([row('l', 'restarting')], 80_000, 80_005)).toEqual([]);
    expect(a.suspicious).toBe(false);
  });
});
