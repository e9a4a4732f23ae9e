import type Docker from 'dockerode';
import type { Clock } from '../../src/watchdog/clock.ts';
import { docker, engineSuite, fastLabels, IMAGE, recordEvents, startTestHealer, TEST_LABEL, waitFor } from './engine.ts';
import { freePort } from './servers.ts';

/**
 * The start of an operator-stop test on the real engine: an app (busybox httpd on a free port, probed
 * over HTTP, restart timeout 2 s) that on `trap` (a signal name or number for sh's trap) closes its
 * listener, drains `drainS` seconds and exits 0; started, with a healer scoped to `runId` watching it
 * until its first passing probe, and the run's engine events recorded from before it was created.
 * Everything is left to `suite`'s clean-up. `create` adds to the container's create options; `clock` is
 * healer's (e.g. helpers/stepped-clock.ts, to reach the end of a window without waiting it out).
 */
export async function watchedDrainingApp(
  suite: ReturnType<typeof engineSuite>,
  runId: string,
  opts: { name: string; trap: string; drainS: number; create?: Partial<Docker.ContainerCreateOptions>; clock?: Clock },
): Promise<{ c: Docker.Container; events: Awaited<ReturnType<typeof recordEvents>>; h: Awaited<ReturnType<typeof startTestHealer>> }> {
  const events = await recordEvents(runId);
  suite.defer(() => events.close());
  const port = await freePort();
  const cmd = ['sh', '-c', `mkdir -p /www; echo ok > /www/health; httpd -p 127.0.0.1:${port} -h /www; trap "killall httpd; sleep ${opts.drainS}; exit 0" ${opts.trap}; while true; do sleep 0.2; done`];
  const c = await docker.createContainer({
    name: opts.name,
    Image: IMAGE,
    Cmd: cmd,
    ...opts.create,
    Labels: { [TEST_LABEL]: runId, ...fastLabels(runId, `http://:${port}/health`, { 'healer.restart.timeout': '2s' }) },
    HostConfig: { NetworkMode: 'host' },
  });
  await c.start();
  const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId }, undefined, undefined, opts.clock);
  suite.defer(() => h.stop());
  await waitFor('first passing probe', () => h.healer.watchdog.watches.get(c.id)?.state.liveness.up === true);
  return { c, events, h };
}
