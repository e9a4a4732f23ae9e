import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { docker, engineSuite, newRunId, runContainer, sleep, spawnHealer, waitFor } from '../helpers/engine.ts';

// healer SIGKILLed between its restart's stop and start halves, on the real engine: the engine carries
// out the stop (the app takes 4 s to stop on SIGTERM), the client's connection is gone, and the start
// half does not come (Docker starts on the request's context, cancelled with the connection), nor does a
// restart policy after an API stop. The next healer finds the container down with a stop's exit code
// (0): without the start owed on disk it left it down for good.
const suite = engineSuite();

describe('healer killed mid-restart', () => {
  it('the next healer starts the container its restart took down', async () => {
    const runId = newRunId();
    const stateDir = mkdtempSync(`${tmpdir()}/healer-midrestart-`);
    suite.defer(() => rmSync(stateDir, { recursive: true, force: true }));
    const env = { HEALER_DISCOVERY_SCOPE: runId, HEALER_STATE_PATH: `${stateDir}/state.json` };
    // Unhealthy on its first run only; slow to stop (its SIGTERM trap sleeps 4 s, then exits 0).
    const cmd = ['sh', '-c', "rm -f /tmp/broken; [ -f /tmp/ran ] || touch /tmp/ran /tmp/broken; trap 'sleep 4; exit 0' TERM; while :; do sleep 0.2; done"];
    const id = await runContainer({
      runId,
      name: 'midrestart',
      labels: { 'healer.enable': 'true', 'healer.scope': runId, 'healer.restart.timeout': '10s' },
      cmd,
      healthcheck: { test: ['CMD-SHELL', 'test ! -f /tmp/broken'], intervalMs: 500, retries: 1 },
    });
    const first = spawnHealer(env, (fn) => suite.defer(fn));
    await waitFor('the first healer sends its restart', () => first.lines.some((l) => l.msg === 'restarting container'), 30_000);
    await sleep(1_500); // the stop half is under way: SIGTERM sent, the app's trap sleeping
    first.child.kill('SIGKILL');
    await first.exited;
    await waitFor('the stop half done', async () => !(await docker.getContainer(id).inspect()).State.Running, 15_000);
    await sleep(2_000);
    const down = (await docker.getContainer(id).inspect()).State;
    expect(down.Running, 'the engine did not carry out the start half: the container is down').toBe(false);
    expect(down.ExitCode).toBe(0);

    const second = spawnHealer(env, (fn) => suite.defer(fn));
    await waitFor('the second healer starts it', async () => (await docker.getContainer(id).inspect()).State.Running, 30_000);
    expect(second.lines.some((l) => l.msg === 'starting container' && l.reason === 'docker HEALTHCHECK reports unhealthy')).toBe(true);
  }, 90_000);
});
