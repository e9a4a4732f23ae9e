import { describe, expect, it } from 'vitest';
import { startAlertmanager } from '../helpers/alertmanager.ts';
import { startEngineProxy } from '../helpers/engine-proxy.ts';
import { appCommand, docker, engineSuite, execIn, fastLabels, newRunId, runContainer, sleep, startTestHealer, waitFor } from '../helpers/engine.ts';
import { freePort } from '../helpers/servers.ts';

// A stop found at a resync ended the container's open alerts at once, while a stop seen live ends them
// only once the container has stayed stopped for 5 s (a `docker restart` stops it too, and its start
// follows). On the real engine, with a real Alertmanager: the event stream is down (a proxy refusing
// it), the container is stopped meanwhile, and started again just after healer's resync found it down,
// as a `docker restart` the resync lands in the middle of. On main Alertmanager's alert was resolved at
// the resync and fired anew after the start (another startsAt); now it stays the one alert.
const suite = engineSuite();

describe('a stop found at a resync', () => {
  it('started again within 5 s of the resync: its open alert is not ended', async () => {
    const runId = newRunId();
    const am = await startAlertmanager();
    suite.defer(() => am.stop());
    const proxy = await startEngineProxy();
    suite.defer(() => proxy.close());
    const port = await freePort();
    // healer.action notify: its failing probes keep the alert open, and healer restarts nothing.
    const id = await runContainer({ runId, name: 'resyncstop', labels: fastLabels(runId, `http://:${port}/health`, { 'healer.action': 'notify' }), cmd: appCommand(port) });
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, DOCKER_HOST: proxy.host }, `alerts:\n  retries: 1\n  timeout: 1s\n  channels:\n    - name: am\n      type: alertmanager\n      url: ${am.url}\n`);
    suite.defer(() => h.stop());
    const wd = h.healer.watchdog;
    await waitFor('watched', () => wd.watches.get(id)?.state.liveness.up === true);
    await execIn(id, ['rm', '/www/health']);
    const mine = async (): Promise<{ startsAt: string; endsAt: string } | undefined> =>
      (await am.alerts()).find((a) => a.labels.alertname === 'HealerContainerUnhealthy' && a.labels.container === `resyncstop-${runId}` && a.status.state === 'active');
    const firing = await waitFor('firing in Alertmanager', mine);

    proxy.refuseEvents = true;
    expect(proxy.cutEvents()).toBe(1);
    await waitFor('healer knows', () => !wd.engineReachable);
    await docker.getContainer(id).stop({ t: 1 });
    proxy.refuseEvents = false;
    await waitFor('resynchronised', () => h.logs.some((l) => l.msg === 'docker engine reconnected; resynchronised'), 40_000);
    expect(wd.watches.get(id)?.state.lifecycle, 'found stopped').toBe('stopped');
    // The restart's start half; its app comes up without its health file again.
    await docker.getContainer(id).start();
    await execIn(id, ['rm', '-f', '/www/health']);
    await sleep(8_000); // past the 5 s the end waits for, and a few failed probes
    expect(h.logs.some((l) => /its open alerts end/.test(String(l.msg))), 'nothing ended').toBe(false);
    const after = await mine();
    expect(after?.startsAt, 'the one alert, never resolved between').toBe(firing.startsAt);
  }, 90_000);
});
