import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerting/types.ts';
import { startAlertmanager } from '../helpers/alertmanager.ts';
import { appCommand, execIn, newRunId, recordEvents, runContainer, startTestHealer, waitFor, engineSuite, fastLabels } from '../helpers/engine.ts';
import { receiver } from '../helpers/receiver.ts';
import { freePort } from '../helpers/servers.ts';

let runId = '';
const suite = engineSuite();

/** healer with a watchdog.yml naming the given channels. */
async function healerWith(channels: string) {
  const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId }, `alerts:\n  retries: 1\n  timeout: 1s\n  channels:\n${channels}`);
  suite.defer(() => h.stop());
  return h;
}
const fast = (port: number) => fastLabels(runId, `http://:${port}/health`);

describe('alerts end to end', () => {
  it('a real Alertmanager shows the container firing, then resolved after healing', async () => {
    runId = newRunId();
    const am = await startAlertmanager();
    suite.defer(() => am.stop());
    const port = await freePort();
    const id = await runContainer({ runId, name: 'amapp', labels: fast(port), cmd: appCommand(port) });
    const { logs } = await healerWith(`    - name: am\n      type: alertmanager\n      url: ${am.url}\n`);
    await waitFor('watched', () => logs.some((l) => l.msg === 'watching container'));
    await execIn(id, ['rm', '/www/health']);

    const firing = await waitFor('firing in Alertmanager', async () =>
      (await am.alerts()).find((a) => a.labels.alertname === 'HealerContainerUnhealthy' && a.labels.container === `amapp-${runId}`),
    );
    expect(firing.status.state).toBe('active');
    expect(firing.annotations.description).toBe('2 failed liveness probes in a row');
    await waitFor('recovered', () => logs.some((l) => l.msg === 'container recovered'));
    // resolved: Alertmanager no longer lists it as active (its endsAt has passed)
    await waitFor('resolved in Alertmanager', async () => {
      const a = (await am.alerts()).find((x) => x.labels.alertname === 'HealerContainerUnhealthy' && x.labels.container === `amapp-${runId}`);
      return a === undefined || Date.parse(a.endsAt) <= Date.now();
    });
  });

  it('a crash loop yields one crashloop alert per throttle window; a recovery yields time to recovery', async () => {
    runId = newRunId();
    const r = await receiver();
    suite.defer(() => r.close());
    const { logs } = await healerWith(`    - name: hook\n      type: webhook\n      url: ${r.url}\n`);
    const crash = await runContainer({
      runId,
      name: 'loop',
      cmd: ['sh', '-c', 'echo starting; sleep 0.1; exit 3'],
      labels: { 'healer.enable': 'true', 'healer.scope': runId, 'healer.restart.on_exit': 'true', 'healer.backoff.initial': '200ms', 'healer.backoff.max': '400ms', 'healer.crashloop.restarts': '2' },
    });
    const port = await freePort();
    const app = await runContainer({ runId, name: 'heal', labels: fast(port), cmd: appCommand(port) });
    await waitFor('watched', () => logs.filter((l) => l.msg === 'watching container').length === 2);
    await execIn(app, ['rm', '/www/health']);
    await waitFor('6 restarts of the looping container', () => logs.filter((l) => l.msg === 'container started' && l.container === `loop-${runId}`).length >= 6, 30_000);
    await waitFor('recovered alert', () => r.got.some((g) => (g.body as { alert: Alert }).alert.event === 'recovered'));

    const alerts = r.got.map((g) => (g.body as { alert: Alert }).alert);
    const ofLoop = alerts.filter((a) => a.container?.id === crash);
    expect(ofLoop.filter((a) => a.event === 'crashloop')).toHaveLength(1);
    expect(ofLoop.filter((a) => a.event === 'restarted')).toHaveLength(1); // the rest wait for the window's summary
    const died = ofLoop.find((a) => a.event === 'died');
    expect(died).toMatchObject({ exitCode: 3, oom: false, host: expect.any(String) as string });
    expect(died?.logs).toContain('starting');
    const recovered = alerts.find((a) => a.event === 'recovered');
    expect(recovered?.container?.id).toBe(app);
    expect(recovered?.recoveryMs).toBeGreaterThan(0);
    expect(alerts.find((a) => a.event === 'unhealthy' && a.container?.id === app)?.probe).toMatchObject({ role: 'liveness', kind: 'http', status: 404 });
  });

  it('a receiver that hangs does not delay healing', async () => {
    runId = newRunId();
    const r = await receiver(() => 'hang');
    suite.defer(() => r.close());
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    const port = await freePort();
    const id = await runContainer({ runId, name: 'slowhook', labels: fast(port), cmd: appCommand(port) });
    const { logs } = await healerWith(`    - name: hook\n      type: webhook\n      url: ${r.url}\n`);
    await waitFor('watched', () => logs.some((l) => l.msg === 'watching container'));
    await execIn(id, ['rm', '/www/health']);
    await waitFor('restarted', () => events.count(id, 'restart') >= 1);
    // the unhealthy alert was still waiting on the receiver when the container was already restarted
    const unhealthySent = r.got.find((g) => (g.body as { alert: Alert }).alert.event === 'unhealthy');
    expect(unhealthySent).toBeDefined();
    expect(logs.some((l) => l.msg === 'alert delivered')).toBe(false);
  });

  it('healer notify --test says per channel what happened', async () => {
    runId = newRunId();
    const ok = await receiver();
    const bad = await receiver(() => ({ status: 403 }));
    suite.defer(() => ok.close(), () => bad.close());
    const dir = mkdtempSync(`${tmpdir()}/healer-notify-`);
    writeFileSync(`${dir}/watchdog.yml`, `alerts:\n  channels:\n    - name: good\n      type: slack\n      url: ${ok.url}\n    - name: bad\n      type: discord\n      url: ${bad.url}\n`);
    const { execFile } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
    const out = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(process.execPath, [cli, 'notify', '--test', '--config', `${dir}/watchdog.yml`], (err, stdout) => resolve({ code: err ? 1 : 0, stdout })),
    );
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('delivered  good (slack)\nFAILED     bad (discord): receiver answered HTTP 403: nope\n');
    expect((ok.got[0]?.body as { text: string }).text).toBe('🟢 [test] healer test alert: this channel works');
    expect(out.stdout).not.toContain('127.0.0.1');
  });
});
