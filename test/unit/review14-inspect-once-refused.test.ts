import { describe, expect, it } from 'vitest';
import { EngineError } from '../../src/docker/engine-error.ts';
import type { ContainerInfo } from '../../src/docker/types.ts';
import type { Prober } from '../../src/probes/types.ts';
import { fakeEngine, syntheticContainer } from '../helpers/fake-engine.ts';
import { fakeWatchdogs } from '../helpers/fake-watchdog.ts';

// Fourteenth adversarial review. Fails on the reviewed code. (On the real engine, through a proxy that
// answers one inspect with a 500: test/e2e/review14-inspect-500.test.ts.)
//
// Trigger: the engine answers the first inspect of one opted-in, running container with an error (HTTP
// 500 from a busy or restarting daemon, a socket proxy's hiccup, a 10 s timeout on a loaded host) when
// healer first looks at it: at start-up, at a resync, or at its `start` event.
// What happens: Discovery.look() (src/watchdog/discovery.ts) lets the EngineError go; inOrder() logs
// `container update failed` and drops it. Nothing looks at the container again until the engine sends
// an event about it (its next start, a rename): it is not watched at all, its probes never run, and when
// it breaks healer neither restarts nor alerts it. One transient error loses every later failure of the
// container, and it shows nowhere (not in /api/status, not as a watch in the `error` state).
// What should happen: a container whose inspect failed is looked at again (with backoff) until the
// engine answers, then watched and probed like the others.

describe('review14: the first inspect of a container refused once', () => {
  const fw = fakeWatchdogs('healer-review14-');

  it('the container is still watched and probed once the engine answers again', { timeout: 30_000 }, async () => {
    const labels = { 'healer.enable': 'true', 'healer.liveness': 'tcp://127.0.0.1:1', 'healer.liveness.interval': '200ms', 'healer.liveness.timeout': '100ms' };
    const app: ContainerInfo = { ...syntheticContainer(1, labels), name: 'app' };
    const other: ContainerInfo = { ...syntheticContainer(2, labels), name: 'other' };
    const fake = fakeEngine([app, other]);
    const inspect = fake.engine.inspect.bind(fake.engine);
    let refusals = 1;
    (fake.engine as { inspect: typeof inspect }).inspect = (id: string) => {
      if (id === app.id && refusals > 0) {
        refusals--;
        return Promise.reject(new EngineError(`inspect ${id.slice(0, 12)} failed with HTTP 500: an error the test engine made`, 500, undefined));
      }
      return inspect(id);
    };
    const probed = new Set<string>();
    const record: Prober = { run: (_p, target) => (probed.add(target.address), Promise.resolve({ ok: true, latencyMs: 1 })) };
    const wd = fw.watchdog({
      engine: fake.engine,
      prober: record,
    });
    await wd.start();
    // The other container is watched at once; the refused one once the engine answers (here: every later inspect).
    await new Promise((r) => setTimeout(r, 8000));
    expect(wd.watches.has(other.id)).toBe(true);
    expect(refusals).toBe(0);
    expect(wd.watches.has(app.id)).toBe(true);
    expect(wd.status().unreadable).toEqual([]);
  });

  // Fix's own: while the engine keeps refusing it the container is shown (not invisible), and a 404 (gone) ends the retries.
  it('shows the container in the status while the engine refuses it, and forgets it once the engine says it is gone', { timeout: 30_000 }, async () => {
    const labels = { 'healer.enable': 'true', 'healer.liveness': 'tcp://127.0.0.1:1' };
    const app: ContainerInfo = { ...syntheticContainer(1, labels), name: 'app' };
    const fake = fakeEngine([app]);
    let answer: 'refuse' | 'gone' = 'refuse';
    let inspects = 0;
    (fake.engine as { inspect(id: string): Promise<ContainerInfo | undefined> }).inspect = () => {
      inspects++;
      return answer === 'refuse' ? Promise.reject(new EngineError('inspect failed with HTTP 500: an error the test engine made', 500, undefined)) : Promise.resolve(undefined);
    };
    const ok: Prober = { run: () => Promise.resolve({ ok: true, latencyMs: 1 }) };
    const wd = fw.watchdog({
      engine: fake.engine,
      prober: ok,
    });
    await wd.start();
    await new Promise((r) => setTimeout(r, 1500)); // the first look and the retry after 1 s
    expect(inspects).toBe(2);
    expect(wd.watches.has(app.id)).toBe(false);
    expect(wd.status().unreadable.map((u) => [u.id, u.attempts, u.error])).toEqual([[app.id, 2, 'inspect failed with HTTP 500: an error the test engine made']]);
    answer = 'gone';
    await new Promise((r) => setTimeout(r, 2500)); // the next retry, 2 s after the second
    expect(inspects).toBe(3);
    expect(wd.status().unreadable).toEqual([]);
    await new Promise((r) => setTimeout(r, 4500)); // nothing looks at it again
    expect(inspects).toBe(3);
  });
});
