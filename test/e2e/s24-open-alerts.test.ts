import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerting/types.ts';
import { appCommand, docker, engineSuite, execIn, fastLabels, newRunId, runContainer, sleep, spawnHealer, startTestHealer, waitFor } from '../helpers/engine.ts';
import { startAlertmanager } from '../helpers/alertmanager.ts';
import { receiver } from '../helpers/receiver.ts';
import { freePort } from '../helpers/servers.ts';

// healer restarted mid-incident (an upgrade, a reboot, an OOM kill): the alerts it sent whose end it owed
// lived only in its memory, so the next healer never sent the `recovered` that ends an `unhealthy` its
// predecessor sent (a webhook user saw `unhealthy` and never `recovered`). The open alerts are now kept
// in the state file and ended by the next healer, measured from the first failure the old one saw.
const suite = engineSuite();

const yaml = (url: string) => `alerts:\n  retries: 1\n  timeout: 1s\n  channels:\n    - name: hook\n      type: webhook\n      url: ${url}\n`;

/** The webhook's alerts of one event about one container (by name). */
const alertsOf = (got: readonly { body: unknown }[], event: string, name: string): Alert[] =>
  got.map(alertIn).filter((a) => a.event === event && a.container?.name === name);

/** The alert a webhook body carries (README "Alerts": `{version, source, alert}`). */
const alertIn = (g: { body: unknown }): Alert => (g.body as { alert: Alert }).alert;

/** The open alerts the state file holds for a container, once written. */
function savedAlerts(path: string, id: string): unknown {
  try {
    const file = JSON.parse(readFileSync(path, 'utf8')) as { containers: Record<string, { alerts?: unknown }> };
    return file.containers[id]?.alerts;
  } catch {
    return undefined;
  }
}

describe('open alerts across healer restarts', () => {
  it('stopped: the next healer sends recovered once for what its predecessor alerted, nothing for the rest', async () => {
    const runId = newRunId();
    const stateDir = mkdtempSync(`${tmpdir()}/healer-open-alerts-`);
    suite.defer(() => rmSync(stateDir, { recursive: true, force: true }));
    const statePath = `${stateDir}/state.json`;
    const r = await receiver();
    suite.defer(() => r.close());
    const env = { HEALER_DISCOVERY_SCOPE: runId, HEALER_STATE_PATH: statePath };
    const notify = { 'healer.action': 'notify' };
    const [pa, pb, pc] = [await freePort(), await freePort(), await freePort()];
    // a: alerted, healthy again while no healer runs. b: failing, never alerted (failures below its
    // threshold). c: alerted, removed while no healer runs. d: Docker HEALTHCHECK, alerted, healthy again.
    const a = await runContainer({ runId, name: 'oa-a', labels: fastLabels(runId, `http://:${pa}/health`, notify), cmd: appCommand(pa) });
    const b = await runContainer({ runId, name: 'oa-b', labels: fastLabels(runId, `http://:${pb}/health`, { ...notify, 'healer.liveness.failures': '1000' }), cmd: appCommand(pb) });
    const c = await runContainer({ runId, name: 'oa-c', labels: fastLabels(runId, `http://:${pc}/health`, notify), cmd: appCommand(pc) });
    const d = await runContainer({
      runId,
      name: 'oa-d',
      labels: { 'healer.enable': 'true', 'healer.scope': runId, ...notify },
      cmd: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.2; done'],
      healthcheck: { test: ['CMD-SHELL', 'test ! -f /tmp/broken'], intervalMs: 500, retries: 1 },
    });
    const first = await startTestHealer(env, yaml(r.url));
    let firstStopped = false;
    suite.defer(() => (firstStopped ? undefined : first.stop()));
    await waitFor('4 watched', () => first.logs.filter((l) => l.msg === 'watching container').length === 4);
    for (const id of [a, b, c]) await execIn(id, ['rm', '/www/health']);
    await execIn(d, ['touch', '/tmp/broken']);
    for (const n of ['oa-a', 'oa-c', 'oa-d']) await waitFor(`unhealthy ${n}`, () => alertsOf(r.got, 'unhealthy', `${n}-${runId}`).length === 1, 30_000);
    await sleep(1_000); // b fails on: its failures count, below the threshold
    await first.stop();
    firstStopped = true;
    const alertedAt = Date.parse(alertsOf(r.got, 'unhealthy', `oa-a-${runId}`)[0]?.at ?? '');

    // While no healer runs: a, b and d healthy again, c removed.
    for (const id of [a, b]) await execIn(id, ['sh', '-c', 'echo ok > /www/health']);
    await execIn(d, ['rm', '/tmp/broken']);
    await docker.getContainer(c).remove({ force: true });
    await waitFor('d healthy', async () => (await docker.getContainer(d).inspect()).State.Health?.Status === 'healthy', 15_000);
    await sleep(1_000);
    const before = r.got.length;
    const restartedAt = Date.now();

    const second = await startTestHealer(env, yaml(r.url));
    let secondStopped = false;
    suite.defer(() => (secondStopped ? undefined : second.stop()));
    for (const n of ['oa-a', 'oa-d']) await waitFor(`recovered ${n}`, () => alertsOf(r.got, 'recovered', `${n}-${runId}`).length > 0, 20_000);
    await sleep(3_000); // anything more would have come by now
    const after = r.got.slice(before);
    expect(alertsOf(after, 'recovered', `oa-a-${runId}`)).toHaveLength(1);
    expect(alertsOf(after, 'recovered', `oa-d-${runId}`)).toHaveLength(1);
    // Measured from the first failure the old healer saw, not from the new healer's start.
    expect(alertsOf(after, 'recovered', `oa-a-${runId}`)[0]?.recoveryMs).toBeGreaterThanOrEqual(restartedAt - alertedAt);
    expect(after.map(alertIn).filter((x) => x.container?.name === `oa-b-${runId}` || x.container?.name === `oa-c-${runId}`)).toEqual([]);
    // Chat channels are not told again what they were told (the `unhealthy` re-fire is for Alertmanager only).
    expect(after.map((g) => alertIn(g).event).filter((e) => e === 'unhealthy')).toEqual([]);
    // Ended: the state file no longer holds them open.
    await second.stop();
    secondStopped = true;
    expect(savedAlerts(statePath, b)).toBeUndefined();
    expect(savedAlerts(statePath, a)).toBeUndefined();
    expect(savedAlerts(statePath, d)).toBeUndefined();
  }, 120_000);

  it('killed: the next healer sends recovered for what its killed predecessor alerted', async () => {
    const runId = newRunId();
    const stateDir = mkdtempSync(`${tmpdir()}/healer-open-alerts-`);
    suite.defer(() => rmSync(stateDir, { recursive: true, force: true }));
    const statePath = `${stateDir}/state.json`;
    const r = await receiver();
    suite.defer(() => r.close());
    const cfg = `${stateDir}/watchdog.yml`;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(cfg, yaml(r.url));
    const env = { HEALER_DISCOVERY_SCOPE: runId, HEALER_STATE_PATH: statePath, HEALER_CONFIG: cfg };
    const port = await freePort();
    const id = await runContainer({ runId, name: 'oa-k', labels: fastLabels(runId, `http://:${port}/health`, { 'healer.action': 'notify' }), cmd: appCommand(port) });
    const first = spawnHealer(env, (fn) => suite.defer(fn));
    await waitFor('watched', () => first.lines.some((l) => l.msg === 'watching container'), 20_000);
    await execIn(id, ['rm', '/www/health']);
    await waitFor('unhealthy', () => alertsOf(r.got, 'unhealthy', `oa-k-${runId}`).length === 1, 30_000);
    const alertedAt = Date.parse(alertsOf(r.got, 'unhealthy', `oa-k-${runId}`)[0]?.at ?? '');
    await sleep(1_000); // the state file is written within 250 ms of a change (WRITE_GAP_MS)
    first.child.kill('SIGKILL');
    await first.exited;
    await execIn(id, ['sh', '-c', 'echo ok > /www/health']);
    const restartedAt = Date.now();
    const second = spawnHealer(env, (fn) => suite.defer(fn));
    await waitFor('recovered', () => alertsOf(r.got, 'recovered', `oa-k-${runId}`).length > 0, 20_000);
    await sleep(2_000);
    const recovered = alertsOf(r.got, 'recovered', `oa-k-${runId}`);
    expect(recovered).toHaveLength(1);
    expect(recovered[0]?.recoveryMs).toBeGreaterThanOrEqual(restartedAt - alertedAt);
    second.child.kill('SIGTERM');
    await second.exited;
  }, 90_000);

  it('Alertmanager: the condition an earlier healer fired is resolved by the next one when the container is healthy again', async () => {
    const runId = newRunId();
    const stateDir = mkdtempSync(`${tmpdir()}/healer-open-alerts-`);
    suite.defer(() => rmSync(stateDir, { recursive: true, force: true }));
    const am = await startAlertmanager();
    suite.defer(() => am.stop());
    const env = { HEALER_DISCOVERY_SCOPE: runId, HEALER_STATE_PATH: `${stateDir}/state.json` };
    const cfg = `alerts:\n  retries: 1\n  timeout: 1s\n  channels:\n    - name: am\n      type: alertmanager\n      url: ${am.url}\n`;
    const port = await freePort();
    const id = await runContainer({ runId, name: 'oa-am', labels: fastLabels(runId, `http://:${port}/health`, { 'healer.action': 'notify' }), cmd: appCommand(port) });
    const mine = async () => (await am.alerts()).find((a) => a.labels.alertname === 'HealerContainerUnhealthy' && a.labels.container === `oa-am-${runId}`);
    const first = await startTestHealer(env, cfg);
    let firstStopped = false;
    suite.defer(() => (firstStopped ? undefined : first.stop()));
    await waitFor('watched', () => first.logs.some((l) => l.msg === 'watching container'));
    await execIn(id, ['rm', '/www/health']);
    expect((await waitFor('firing', mine, 30_000)).status.state).toBe('active');
    await first.stop();
    firstStopped = true;
    // Healthy again while no healer runs: only the next healer can end it (else Alertmanager's resolve_timeout, 5 min).
    await execIn(id, ['sh', '-c', 'echo ok > /www/health']);
    const second = await startTestHealer(env, cfg);
    suite.defer(() => second.stop());
    await waitFor('resolved in Alertmanager', async () => {
      const a = await mine();
      return a === undefined || Date.parse(a.endsAt) <= Date.now();
    }, 20_000);
  }, 90_000);
});
