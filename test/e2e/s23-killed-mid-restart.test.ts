import { describe, expect, it } from 'vitest';
import { startEngineProxy } from '../helpers/engine-proxy.ts';
import { docker, engineSuite, newRunId, sleep, spawnHealer, waitFor } from '../helpers/engine.ts';
import { expectOwedStart, runBrokenOnce, stateDir } from '../helpers/mid-restart.ts';

// healer SIGKILLed between its restart's stop and start halves, on the real engine. From Docker 23 on the
// restart's start half runs on the request's context, so with the client gone the engine carries out the
// stop and not the start (and applies no restart policy after an API stop). Docker 20.10 here starts on
// its own context, so the proxy forwards healer's restart as a stop: the engine's stop half, real events,
// exit code and times. The next healer (straight to the engine) finds the container down with a stop's
// exit code (0): without the start owed on disk it left it down for good.
const suite = engineSuite();

describe('healer killed mid-restart', () => {
  it('the next healer starts the container its restart took down', async () => {
    const runId = newRunId();
    const dir = stateDir(suite, 'healer-midrestart-');
    const proxy = await startEngineProxy();
    suite.defer(() => proxy.close());
    proxy.stopForRestarts = true;
    const env = { HEALER_DISCOVERY_SCOPE: runId, HEALER_STATE_PATH: `${dir}/state.json` };
    // Unhealthy on its first run only; slow to stop (its SIGTERM trap sleeps 4 s, then exits 0).
    const id = await runBrokenOnce(runId, 'midrestart', 4);
    const first = spawnHealer({ ...env, DOCKER_HOST: proxy.host }, (fn) => suite.defer(fn));
    await waitFor('the first healer sends its restart', () => first.lines.some((l) => l.msg === 'restarting container'), 30_000);
    await sleep(1_500); // the stop half is under way: SIGTERM sent, the app's trap sleeping
    expect(proxy.requests.filter((r) => /^POST \/containers\/[^/]+\/restart$/.test(r))).toHaveLength(1);
    first.child.kill('SIGKILL');
    await first.exited;
    await waitFor('the stop half done', async () => !(await docker.getContainer(id).inspect()).State.Running, 15_000);
    const down = (await docker.getContainer(id).inspect()).State;
    expect(down.ExitCode, "a stop's exit code").toBe(0);

    const second = spawnHealer(env, (fn) => suite.defer(fn));
    // Started as the restart's owed start: with the restart's reason.
    await expectOwedStart(first, second, id);
  }, 90_000);
});
