import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/servers.ts';
import {
  appCommand,
  docker,
  execIn,
  isRunning,
  newRunId,
  recordEvents,
  runContainer,
  sleep,
  startTestHealer,
  waitFor,
  engineSuite,
  fastLabels,
} from '../helpers/engine.ts';

// Each test has its own run id, used as healer's discovery scope, so healers never see each other's containers.
let runId = '';
const suite = engineSuite();

/** Labels of a watched app with a fast probe: 300ms interval, 2 failures to act. */
const fast = (probe: string, extra: Record<string, string> = {}): Record<string, string> => fastLabels(runId, probe, { 'healer.restart.timeout': '2s', ...extra });

async function setup() {
  runId = newRunId();
  const events = await recordEvents(runId);
  suite.defer(() => events.close());
  const start = async (env: Record<string, string> = {}, self?: { ids: string[]; hostname: string }) => {
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, ...env }, undefined, self);
    suite.defer(() => h.stop());
    return h;
  };
  return { events, start };
}

const failedProbesBefore = (logs: { msg: string; container?: string }[], name: string): number => {
  const mine = logs.filter((l) => l.container === name);
  const firstRestart = mine.findIndex((l) => l.msg === 'restarting container');
  return mine.slice(0, firstRestart).filter((l) => l.msg === 'probe failed').length;
};

describe('healing on a real engine', () => {
  it('restarts an app whose HTTP liveness fails exactly once, after `failures` failed probes', async () => {
    const { events, start } = await setup();
    const port = await freePort();
    const id = await runContainer({ runId, name: 'http', labels: fast(`http://:${port}/health`), cmd: appCommand(port) });
    const { logs, healer } = await start();
    await waitFor('first passing probe', () => healer.watchdog.watches.get(id)?.state.liveness.up === true);

    await execIn(id, ['rm', '/www/health']);
    await waitFor('restart', () => events.count(id, 'restart') >= 1);
    await waitFor('recovered', () => logs.some((l) => l.msg === 'container recovered' && l.container === `http-${runId}`));
    await sleep(1500); // several more intervals: the restored app must not be restarted again

    expect(events.count(id, 'restart')).toBe(1);
    expect(failedProbesBefore(logs, `http-${runId}`)).toBe(2);
    const restart = logs.find((l) => l.msg === 'restarting container');
    expect(restart).toMatchObject({ reason: '2 failed liveness probes in a row', action: 'restart' });
    const recovered = logs.find((l) => l.msg === 'container recovered');
    expect(recovered?.recoveryMs).toBeGreaterThan(0);
    expect(await isRunning(id)).toBe(true);
  });

  it('restarts a container right after its HEALTHCHECK turns unhealthy, without polling', async () => {
    const { events, start } = await setup();
    const port = await freePort();
    const id = await runContainer({
      runId,
      name: 'hc',
      labels: { 'healer.enable': 'true', 'healer.scope': runId, 'healer.restart.timeout': '2s' },
      cmd: appCommand(port),
      healthcheck: { test: ['CMD-SHELL', `wget -q -O /dev/null http://127.0.0.1:${port}/health`], intervalMs: 500, retries: 1 },
    });
    const { logs, healer } = await start();
    await waitFor('watched with docker health', () => healer.watchdog.watches.get(id)?.policy.liveness?.spec.kind === 'docker');

    await execIn(id, ['rm', '/www/health']);
    await waitFor('restart', () => events.count(id, 'restart') >= 1);

    const unhealthyAt = events.events.find((e) => e.id === id && e.action === 'health_status')?.at;
    expect(unhealthyAt).toBeDefined();
    const restart = logs.find((l) => l.msg === 'restarting container');
    expect(restart).toMatchObject({ reason: 'docker HEALTHCHECK reports unhealthy' });
    // event-driven: healer itself never probed this container
    expect(logs.filter((l) => l.msg === 'probe failed')).toHaveLength(0);
  });

  it.each([
    ['tcp', (port: number) => `tcp://:${port}`, ['killall', 'httpd']],
    ['exec', () => 'exec:test -f /www/health', ['rm', '/www/health']],
  ])('restarts on a failing %s probe', async (kind, probe, breakIt) => {
    const { events, start } = await setup();
    const port = await freePort();
    const id = await runContainer({ runId, name: kind, labels: fast(probe(port)), cmd: appCommand(port) });
    const { logs, healer } = await start();
    await waitFor('first passing probe', () => healer.watchdog.watches.get(id)?.state.liveness.up === true);

    await execIn(id, breakIt);
    await waitFor('restart', () => events.count(id, 'restart') >= 1);
    await waitFor('recovered', () => logs.some((l) => l.msg === 'container recovered'));
    expect(events.count(id, 'restart')).toBe(1);
    expect(logs.find((l) => l.msg === 'probe failed')).toMatchObject({ kind, probe: 'liveness' });
  });

  it('never starts or restarts a container an operator stopped', async () => {
    const { events, start } = await setup();
    const port = await freePort();
    const id = await runContainer({ runId, name: 'stopped', labels: fast(`http://:${port}/health`), cmd: appCommand(port) });
    const { healer, logs } = await start();
    await waitFor('first passing probe', () => healer.watchdog.watches.get(id)?.state.liveness.up === true);

    await execIn(id, ['rm', '/www/health']); // failing, and then stopped before or while healer acts
    await docker.getContainer(id).stop({ t: 1 });
    const stoppedAt = events.events.length;
    await waitFor('healer saw the stop', () => healer.watchdog.watches.get(id)?.state.lifecycle === 'stopped');
    await sleep(2000); // more than enough intervals to have acted

    expect(await isRunning(id)).toBe(false);
    expect(events.events.slice(stoppedAt).filter((e) => e.action === 'start')).toHaveLength(0);
    expect(logs.some((l) => l.msg === 'container stopped by an operator; it stays stopped')).toBe(true);
  });

  it('never touches a container without the opt-in label, nor its own container', async () => {
    const { events, start } = await setup();
    const failing = () => fast(`http://:${portNobodyUses}/nothing-listens`);
    const portNobodyUses = await freePort();
    const labels = failing();
    delete labels['healer.enable'];
    const unlabelled = await runContainer({ runId, name: 'unlabelled', labels, cmd: appCommand(await freePort()) });
    const self = await runContainer({ runId, name: 'self', labels: failing(), cmd: appCommand(await freePort()) });
    const { healer, logs } = await start({}, { ids: [self], hostname: 'not-a-container-id' });
    await sleep(2000); // many times failures × interval

    expect(healer.watchdog.watches.size).toBe(0);
    expect(events.count(unlabelled, 'restart') + events.count(self, 'restart')).toBe(0);
    expect(logs.some((l) => l.container === `unlabelled-${runId}` || l.container === `self-${runId}`)).toBe(false);
  });

  it('discovers containers started after healer', async () => {
    const { events, start } = await setup();
    const { healer } = await start();
    const port = await freePort();
    const id = await runContainer({ runId, name: 'late', labels: fast(`http://:${port}/health`), cmd: appCommand(port) });
    await waitFor('first passing probe', () => healer.watchdog.watches.get(id)?.state.liveness.up === true);
    await execIn(id, ['rm', '/www/health']);
    await waitFor('restart', () => events.count(id, 'restart') >= 1);
  });

  it('reports a container with a malformed label and still heals its neighbour', async () => {
    const { events, start } = await setup();
    const port = await freePort();
    const bad = await runContainer({ runId, name: 'bad', labels: fast(`http://:${port}/health`, { 'healer.liveness.interval': '10 sec' }), cmd: ['sleep', '60'] });
    const port2 = await freePort();
    const good = await runContainer({ runId, name: 'good', labels: fast(`http://:${port2}/health`), cmd: appCommand(port2) });
    const { healer, logs } = await start();
    await waitFor('first passing probe', () => healer.watchdog.watches.get(good)?.state.liveness.up === true);

    expect(healer.watchdog.problems.get(bad)?.errors).toEqual([`label healer.liveness.interval on container "bad-${runId}": "10 sec" is not a duration (try 10s)`]);
    expect(logs.find((l) => l.level === 50 && l.container === `bad-${runId}`)?.msg).toBe(
      `label healer.liveness.interval on container "bad-${runId}": "10 sec" is not a duration (try 10s); this container is not watched`,
    );
    await execIn(good, ['rm', '/www/health']);
    await waitFor('neighbour restarted', () => events.count(good, 'restart') >= 1);
    expect(events.count(bad, 'restart')).toBe(0);
  });
});
