import { describe, expect, it } from 'vitest';
import { docker, engineSuite, execIn, newRunId, recordEvents, runContainer, sleep, startTestHealer, waitFor } from '../helpers/engine.ts';

// Twenty-fifth adversarial review (operators on the real engine). Fails on the reviewed code.
//
// README: "Any other signal (`docker kill -s HUP` to reload, USR1 ...) is not a stop: nothing is held,
// and the container's next crash is a crash (alerted as `died`, started with `on_exit`, counted)", and
// on_exit leaves alone "containers whose own Docker restart policy brings them back".
// Engine 20.10 marks a container "manually stopped" on ANY `docker kill`, a HUP included
// (daemon/kill.go killWithSignal sets HasBeenManuallyStopped), and from then on its `restart: always` /
// `unless-stopped` / `on-failure` policy no longer brings a crash back (measured here: exited 3,
// RestartCount 0, never started again; `docker start` or `docker restart` clear the mark). healer reads only the policy's name (restart-policy.ts engineRestarts), so it keeps
// waiting for an engine restart that never comes: the reloaded container's next crash leaves it down for
// good, although healer.restart.on_exit asks for it to be started.
// Trigger: `restart: unless-stopped` + `healer.restart.on_exit: "true"`, `docker kill -s HUP` (a config
// reload, e.g. nginx/haproxy), then the app crashes.

const suite = engineSuite();

describe('review25: a crash after `docker kill -s HUP` of a container with a restart policy', () => {
  it.each(['always', 'unless-stopped', 'on-failure'])('is brought back (restart: %s, on_exit)', async (restartPolicy) => {
    const runId = newRunId();
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId });
    suite.defer(() => h.stop());
    const labels = { 'healer.enable': 'true', 'healer.scope': runId, 'healer.restart.on_exit': 'true', 'healer.backoff.initial': '400ms' };
    // Reloads on HUP (only echoes); crashes with 3 once /tmp/die exists (removed at each start).
    const cmd = ['sh', '-c', 'rm -f /tmp/die; trap "echo reload" HUP; while [ ! -f /tmp/die ]; do sleep 0.2; done; exit 3'];
    const id = await runContainer({ runId, name: 'hup', labels, cmd, restartPolicy });
    await waitFor('watched', () => h.healer.watchdog.watches.has(id));
    await docker.getContainer(id).kill({ signal: 'SIGHUP' });
    await sleep(1000);
    expect((await docker.getContainer(id).inspect()).State.Running, 'a HUP only reloads').toBe(true);
    await execIn(id, ['touch', '/tmp/die']);
    await waitFor('the crash', () => events.count(id, 'die') === 1);
    // The engine's restart policy would start it within ~100 ms, healer's on_exit within its 400 ms backoff.
    await sleep(6000);
    const i = await docker.getContainer(id).inspect();
    expect({ running: i.State.Running, starts: events.count(id, 'start') }, `exit ${String(i.State.ExitCode)}, RestartCount ${String(i.RestartCount)}`).toEqual({ running: true, starts: 2 });
  }, 40_000);
});
