import { describe, expect, it } from 'vitest';
import { startSocketProxy } from '../helpers/haproxy.ts';
import { freePort } from '../helpers/servers.ts';
import { appCommand, engineSuite, fastLabels, execIn, isRunning, newRunId, recordEvents, runContainer, sleep, startTestHealer, waitFor } from '../helpers/engine.ts';

// Least privilege: healer behind a real HAProxy that allows only what a socket proxy with CONTAINERS,
// EVENTS, PING, VERSION, POST and ALLOW_RESTARTS allows.
const suite = engineSuite();


async function setup(allowRestart: boolean) {
  const runId = newRunId();
  const proxy = await startSocketProxy({ allowRestart });
  suite.defer(() => proxy.stop());
  const events = await recordEvents(runId);
  suite.defer(() => events.close());
  const port = await freePort();
  const id = await runContainer({ runId, name: 'app', labels: fastLabels(runId, `http://:${port}/health`), cmd: appCommand(port) });
  // An exec probe needs POST /containers/{id}/exec, which this proxy refuses: reported, never acted on.
  const execd = await runContainer({ runId, name: 'execd', labels: fastLabels(runId, 'exec:true'), cmd: appCommand(await freePort()) });
  const { healer, logs } = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, DOCKER_HOST: proxy.host });
  suite.defer(() => healer.stop(5000));
  return { runId, id, execd, healer, logs, events };
}

describe('through a socket proxy', () => {
  it('heals through a proxy that allows only containers, events, ping, version and restart/start/stop/kill', async () => {
    const { id, execd, healer, logs, events } = await setup(true);
    await waitFor('first passing probe', () => healer.watchdog.watches.get(id)?.state.liveness.up === true);
    await execIn(id, ['rm', '/www/health']);
    await waitFor('restart through the proxy', () => events.count(id, 'restart') >= 1);
    await waitFor('recovered', () => logs.some((l) => l.msg === 'container recovered'));
    expect(healer.watchdog.engineReachable).toBe(true);

    await waitFor('several refused exec probes', () => (healer.watchdog.watches.get(execd)?.counts.probes.liveness.error ?? 0) >= 4);
    const refused = logs.find((l) => l.msg === 'probe inconclusive; not counted as a failure' && l.container?.startsWith('execd-'));
    expect(refused?.error).toMatch(/could not run the probe: exec in [0-9a-f]{12} failed with HTTP 403: .*the Engine API call POST \/containers\/\{id\}\/exec was refused \(a socket proxy in front of the engine must allow it: POST=1, CONTAINERS=1 and EXEC=1 \(exec probes only\)\)/);
    expect(logs.filter((l) => l.msg === 'probe inconclusive; not counted as a failure')).toHaveLength(1); // said once, not every 300 ms
    expect(events.count(execd, 'restart')).toBe(0);
  });

  it('with restart refused, says which call was refused, leaves the container running, and keeps going', async () => {
    const { id, healer, logs, events } = await setup(false);
    await waitFor('first passing probe', () => healer.watchdog.watches.get(id)?.state.liveness.up === true);
    await execIn(id, ['rm', '/www/health']);
    const failed = await waitFor('restart failed', () => logs.find((l) => l.msg === 'restart failed'));
    expect(failed.reason).toMatch(
      /^restart [0-9a-f]{12} failed with HTTP 403: .*; the Engine API call POST \/containers\/\{id\}\/restart was refused \(a socket proxy in front of the engine must allow it: POST=1 and ALLOW_RESTARTS=1\)$/,
    );
    await sleep(2000); // many probe intervals: the default backoff (10 s) holds the next attempt
    expect(logs.filter((l) => l.msg === 'restart failed')).toHaveLength(1);
    expect(events.count(id, 'restart') + events.count(id, 'kill') + events.count(id, 'stop')).toBe(0);
    expect(await isRunning(id)).toBe(true);
    const status = healer.watchdog.status();
    expect(status.engineReachable).toBe(true);
    expect(status.containers.find((c) => c.id === id)).toMatchObject({ state: 'backoff', restartsInWindow: 0 }); // refused: backs off, no restart towards a loop
    expect(healer.watchdog.watches.get(id)?.counts.restartFailures.liveness).toBe(1);
    expect(healer.watchdog.health()).toEqual({ ok: true });
  });
});
