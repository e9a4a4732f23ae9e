import { describe, expect, it } from 'vitest';
import { docker, engineSuite, execIn, IMAGE, newRunId, recordEvents, sleep, startTestHealer, TEST_LABEL, waitFor, type LogLine } from '../helpers/engine.ts';

// healer reads the engine's verdict on each crash of a container with a restart policy (restart-policy.ts):
// it starts one the engine leaves down (review25-hup-restart-always.test.ts), and must never start one the
// engine brings back (a start racing the engine's own restart). A HUP to a container that sets its own
// STOPSIGNAL leaves Docker's `always` policy in force (moby kill.go: only HasBeenManuallyStopped is set,
// which `always` ignores); a plain crash leaves every policy in force.

const suite = engineSuite();
const logged = (logs: readonly LogLine[], msg: string): LogLine[] => logs.filter((l) => l.msg === msg);
/** Reloads on HUP; crashes with 3 once /tmp/die exists (removed at each start). */
const CMD = ['sh', '-c', 'rm -f /tmp/die; trap "echo reload" HUP; while [ ! -f /tmp/die ]; do sleep 0.2; done; exit 3'];

async function run(runId: string, restartPolicy: string, labels: Record<string, string>, stopSignal?: string): Promise<string> {
  const c = await docker.createContainer({
    name: `verdict-${runId}`,
    Image: IMAGE,
    Cmd: CMD,
    Labels: { [TEST_LABEL]: runId, 'healer.enable': 'true', 'healer.scope': runId, 'healer.backoff.initial': '400ms', ...labels },
    ...(stopSignal ? { StopSignal: stopSignal } : {}),
    HostConfig: { NetworkMode: 'host', RestartPolicy: { Name: restartPolicy } },
  });
  await c.start();
  return c.id;
}

describe('the engine restart policy verdict after a crash', () => {
  it.each([
    ['always, a HUP to a container with its own STOPSIGNAL', 'always', 'SIGTERM', true],
    ['unless-stopped, no kill', 'unless-stopped', undefined, false],
    ['always, no kill', 'always', undefined, false],
  ] as const)('is left to the engine when it restarts the crash (%s): healer never starts it', async (_, policy, stopSignal, hup) => {
    const runId = newRunId();
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId });
    suite.defer(() => h.stop());
    const id = await run(runId, policy, { 'healer.restart.on_exit': 'true' }, stopSignal);
    await waitFor('watched', () => h.healer.watchdog.watches.has(id));
    if (hup) await docker.getContainer(id).kill({ signal: 'SIGHUP' });
    await sleep(500);
    await execIn(id, ['touch', '/tmp/die']);
    await waitFor('the crash', () => events.count(id, 'die') === 1);
    await waitFor('the engine restart', () => events.count(id, 'start') === 2);
    await sleep(3000); // well past healer's 400 ms backoff
    expect(logged(h.logs, 'starting container'), 'healer started it too').toHaveLength(0);
    expect((await docker.getContainer(id).inspect()).State.Running).toBe(true);
  }, 30_000);

  it('an operator stop of a restart: always container with on_exit stays stopped (the engine leaves it down too)', async () => {
    const runId = newRunId();
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId });
    suite.defer(() => h.stop());
    const id = await run(runId, 'always', { 'healer.restart.on_exit': 'true' });
    await waitFor('watched', () => h.healer.watchdog.watches.has(id));
    await docker.getContainer(id).stop({ t: 1 }); // sh ignores TERM: SIGKILL after 1 s, exit 137
    await waitFor('the stop', () => events.count(id, 'die') === 1);
    await sleep(3000);
    expect({ starts: events.count(id, 'start'), healerStarts: logged(h.logs, 'starting container').length }).toEqual({ starts: 1, healerStarts: 0 });
  }, 30_000);

  it('without on_exit, a crash the engine leaves down (HUP before it) is alerted as died and left down', async () => {
    const runId = newRunId();
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId });
    suite.defer(() => h.stop());
    const id = await run(runId, 'always', {});
    await waitFor('watched', () => h.healer.watchdog.watches.has(id));
    await docker.getContainer(id).kill({ signal: 'SIGHUP' });
    await sleep(500);
    await execIn(id, ['touch', '/tmp/die']);
    await waitFor('died', () => logged(h.logs, 'container died').length === 1);
    expect(logged(h.logs, 'container died')[0]).toMatchObject({ exitCode: 3 });
    await sleep(3000);
    expect({ starts: events.count(id, 'start'), running: (await docker.getContainer(id).inspect()).State.Running }).toEqual({ starts: 1, running: false });
  }, 30_000);
});
