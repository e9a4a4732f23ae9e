import { describe, expect, it } from 'vitest';
import type { ProbePolicy } from '../../src/config/policy.ts';
import type { ContainerEvent } from '../../src/docker/types.ts';
import { EventReader } from '../../src/watchdog/event-reader.ts';
import type { Track } from '../../src/watchdog/machine-types.ts';
import { noteSurvival, type SurvivalView } from '../../src/watchdog/stop-survival.ts';
import { STOP_SIGNAL_WINDOW_MS, survivalAfterMs } from '../../src/watchdog/stop-window.ts';

// Review 24 (adversarial). Fails on s24-review-base.
//
// Trigger: a container run with `--stop-timeout -1` whose liveness is its Docker HEALTHCHECK (interval 5 s,
// timeout 2 s, retries 3: survivalAfterMs is the 60 s floor). The operator's `docker stop` sends SIGTERM;
// the app drains: it keeps answering its health check for 50 s while it finishes in-flight work, then
// closes its listener and goes on exiting. Its checks fail from 50 s on; Docker says `unhealthy` after
// the third failed one, ~65 s after the signal.
// What happens: no input reaches the watch between 60 s and that `health: unhealthy` event (a HEALTHCHECK
// says nothing until it changes). noteSurvival (src/watchdog/stop-survival.ts) reads `passing` from
// `w.state.liveness.up === true`, the state BEFORE this input is fed, so the very event that says the
// container fails its check is taken as "seen passing its check 60 s after the signal": the stop is
// declared over ("survived its stop signal ... restarts resume") and the unhealthy verdict fed right
// after makes healer restart the container in the middle of the operator's stop.
// What should happen (README: the stop holds "until healer sees it pass its liveness check at least 60 s
// after the signal"; the known limit is an app passing its probe for MORE than 60 s): the container never
// passed a check after 50 s, so the stop is still under way; an `unhealthy` verdict shows only that the
// checks of the last retries*(interval+timeout) failed, and here those started before the 60 s mark.
const kill: ContainerEvent = { id: 'c1', name: 'db', action: 'kill', health: undefined, exitCode: undefined, signal: '15', labels: {}, time: 0 };
const healthy: Track = { failures: 0, successes: 0, up: true, failingSince: undefined };

describe('review24: the unhealthy verdict of an endless stop\'s drain is not taken for its survival', () => {
  it('a HEALTHCHECK that turns unhealthy 65 s after the signal (checks failing from 50 s) keeps the stop held', () => {
    const hc = { intervalMs: 5_000, timeoutMs: 2_000, retries: 3 };
    expect(survivalAfterMs(hc)).toBe(STOP_SIGNAL_WINDOW_MS);
    const logs: string[] = [];
    const w: SurvivalView = {
      events: new EventReader(),
      policy: { liveness: { spec: { kind: 'docker' } } as unknown as ProbePolicy },
      info: { healthcheck: hc },
      state: { liveness: healthy },
      log: { info: (_o: unknown, msg: string) => void logs.push(msg), warn: (_o: unknown, msg: string) => void logs.push(msg) } as unknown as SurvivalView['log'],
    };
    const signalAt = 1_000;
    w.events.read(kill, signalAt, undefined, Infinity); // docker stop of a --stop-timeout -1 container
    // Three checks at +55, +60, +65 s failed (interval + timeout each): the verdict comes at +65 s.
    const verdictAt = signalAt + 65_000;
    noteSurvival(w, { type: 'health', status: 'unhealthy', at: verdictAt }, verdictAt);
    expect(logs.filter((m) => m.startsWith('the container survived its stop signal'))).toEqual([]);
    expect(w.events.stopSignalled(verdictAt)).toBe(true);
  });
});
