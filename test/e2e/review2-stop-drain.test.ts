import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/servers.ts';
import { docker, isRunning, newRunId, recordEvents, runContainer, sleep, startTestHealer, waitFor, engineSuite, fastLabels } from '../helpers/engine.ts';

// Regression from the second adversarial review: failed before its fix.
const suite = engineSuite();

describe('review2 on a real engine: `docker stop` of an app that closes its listener at SIGTERM and drains', () => {
  it('is not restarted by healer during the grace: the container ends up stopped', async () => {
    const runId = newRunId();
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    const port = await freePort();
    // On SIGTERM: the listener goes (httpd killed), then 3 s of draining, then exit 0.
    const cmd = ['sh', '-c', `mkdir -p /www; echo ok > /www/health; httpd -p 127.0.0.1:${port} -h /www; trap "killall httpd; sleep 3; exit 0" TERM; while true; do sleep 0.2; done`];
    const id = await runContainer({ runId, name: 'drain', labels: fastLabels(runId, `http://:${port}/health`, { 'healer.restart.timeout': '2s' }), cmd });
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId });
    suite.defer(() => h.stop());
    await waitFor('first passing probe', () => h.healer.watchdog.watches.get(id)?.state.liveness.up === true);
    const before = events.events.length;
    await docker.getContainer(id).stop({ t: 10 }); // the operator's `docker stop drain` (returns once it exited)
    await sleep(3000);
    const after = events.events.slice(before).map((e) => e.action);
    expect.soft(after).not.toContain('restart');
    expect(await isRunning(id)).toBe(false);
  }, 60_000);
});
