import { describe, expect, it } from 'vitest';
import { startSkewProxy } from '../helpers/skew-proxy.ts';
import { docker, engineSuite, newRunId, sleep, spawnHealer, waitFor } from '../helpers/engine.ts';
import { expectOwedStart, runBrokenOnce, stateDir } from '../helpers/mid-restart.ts';

// healer SIGKILLed between its restart's stop and start halves (as s23-killed-mid-restart.test.ts), with
// an engine whose clock is 10 minutes off healer's: a proxy in front of the real engine moves the times it
// answers with (the Date header, StartedAt, FinishedAt), as a remote tcp:// engine on a host without NTP.
// The next healer compared the engine's FinishedAt with the send time on healer's own clock and left the
// container its own restart took down, down for good; it now compares on the engine's clock.
const suite = engineSuite();

describe('healer killed mid-restart, the engine\'s clock 10 minutes off', () => {
  it.each([10 * 60_000, -10 * 60_000])('skew %i ms: the next healer starts the container its restart took down', async (skew) => {
    const runId = newRunId();
    const dir = stateDir(suite, 'healer-skew-');
    const proxy = await startSkewProxy(skew);
    suite.defer(() => proxy.close());
    proxy.stopForRestarts = true;
    const env = { HEALER_DISCOVERY_SCOPE: runId, HEALER_STATE_PATH: `${dir}/state.json`, DOCKER_HOST: proxy.host };
    // Unhealthy on its first run only; slow to stop (its SIGTERM trap sleeps 3 s, then exits 0).
    const id = await runBrokenOnce(runId, 'skewrestart', 3);
    const first = spawnHealer(env, (fn) => suite.defer(fn));
    await waitFor('the first healer sends its restart', () => first.lines.some((l) => l.msg === 'restarting container'), 30_000);
    await sleep(1_000); // the stop half is under way: SIGTERM sent, the app's trap sleeping
    expect(proxy.requests.filter((r) => /^POST \/containers\/[^/]+\/restart$/.test(r))).toHaveLength(1);
    expect(first.lines.some((l) => /cannot read the engine's clock/.test(String(l.msg))), 'the engine\'s clock was read').toBe(false);
    first.child.kill('SIGKILL');
    await first.exited;
    await waitFor('the stop half done', async () => !(await docker.getContainer(id).inspect()).State.Running, 15_000);
    expect((await docker.getContainer(id).inspect()).State.ExitCode, "a stop's exit code").toBe(0);

    proxy.stopForRestarts = false;
    const second = spawnHealer(env, (fn) => suite.defer(fn));
    await expectOwedStart(first, second, id);
  }, 90_000);
});
