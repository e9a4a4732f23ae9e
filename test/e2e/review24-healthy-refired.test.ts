import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { docker, engineSuite, execIn, newRunId, runContainer, sleep, startTestHealer, waitFor } from '../helpers/engine.ts';
import { receiver } from '../helpers/receiver.ts';

// Review 24. Trigger: a Docker-HEALTHCHECK container alerted unhealthy to an Alertmanager channel, healer
// stopped (an upgrade), the container healthy again before the next healer starts. The next healer
// POSTs a firing HealerContainerUnhealthy (no endsAt) for the container it finds healthy, then resolves
// it: Alertmanager is told a condition that is over is firing (README: a kept alert is re-told only while
// it is still open). Should: only the resolve.
const suite = engineSuite();

interface AmBody {
  labels: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
}

describe('review24: a condition over at healer start is not re-fired at Alertmanager', () => {
  it('a HEALTHCHECK container healthy again while no healer ran gets only a resolve', async () => {
    const runId = newRunId();
    const stateDir = mkdtempSync(`${tmpdir()}/healer-review24-`);
    suite.defer(() => rmSync(stateDir, { recursive: true, force: true }));
    const am = await receiver();
    suite.defer(() => am.close());
    const url = am.url.replace(/\/hook$/, '');
    const cfg = `alerts:\n  retries: 1\n  timeout: 1s\n  channels:\n    - name: am\n      type: alertmanager\n      url: ${url}\n`;
    const env = { HEALER_DISCOVERY_SCOPE: runId, HEALER_STATE_PATH: `${stateDir}/state.json` };
    const d = await runContainer({
      runId,
      name: 'r24-d',
      labels: { 'healer.enable': 'true', 'healer.scope': runId, 'healer.action': 'notify' },
      cmd: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.2; done'],
      healthcheck: { test: ['CMD-SHELL', 'test ! -f /tmp/broken'], intervalMs: 500, retries: 1 },
    });
    const name = `r24-d-${runId}`;
    const bodies = (from = 0): AmBody[] => am.got.slice(from).flatMap((g) => (Array.isArray(g.body) ? (g.body as AmBody[]) : [])).filter((a) => a.labels.container === name && a.labels.alertname === 'HealerContainerUnhealthy');
    const firing = (a: AmBody): boolean => a.endsAt === undefined || Date.parse(a.endsAt) > Date.now();
    const first = await startTestHealer(env, cfg);
    let firstStopped = false;
    suite.defer(() => (firstStopped ? undefined : first.stop()));
    await waitFor('watched', () => first.logs.some((l) => l.msg === 'watching container'));
    await execIn(d, ['touch', '/tmp/broken']);
    await waitFor('firing', () => bodies().some(firing), 30_000);
    await first.stop();
    firstStopped = true;

    await execIn(d, ['rm', '/tmp/broken']);
    await waitFor('healthy', async () => (await docker.getContainer(d).inspect()).State.Health?.Status === 'healthy', 15_000);
    const from = am.got.length;
    const second = await startTestHealer(env, cfg);
    suite.defer(() => second.stop());
    await waitFor('resolved', () => bodies(from).some((a) => !firing(a)), 20_000);
    await sleep(1_000);
    expect(bodies(from).filter(firing)).toEqual([]);
  }, 90_000);
});
