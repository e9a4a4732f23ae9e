import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/servers.ts';
import { appCommand, docker, IMAGE, isRunning, newRunId, recordEvents, startTestHealer, waitFor, engineSuite, fastLabels, TEST_LABEL, execIn } from '../helpers/engine.ts';

// Regression from the second adversarial review: failed before its fix.
const suite = engineSuite();

describe('review2 on a real engine: a restart whose stop half ran and whose start the engine refused', () => {
  it('is retried once the engine can start the container again (it is not left down)', async () => {
    const runId = newRunId();
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    const dir = mkdtempSync(`${tmpdir()}/healer-review2-`);
    suite.defer(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    mkdirSync(`${dir}/data`);
    const c = await docker.createContainer({
      name: `half-${runId}`,
      Image: IMAGE,
      Cmd: appCommand(port),
      Labels: { [TEST_LABEL]: runId, ...fastLabels(runId, `http://:${port}/health`, { 'healer.restart.timeout': '1s' }) },
      HostConfig: { NetworkMode: 'host', Mounts: [{ Type: 'bind', Source: `${dir}/data`, Target: '/data' }] },
    } as never);
    await c.start();
    const id = c.id;
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId });
    suite.defer(() => h.stop());
    await waitFor('first passing probe', () => h.healer.watchdog.watches.get(id)?.state.liveness.up === true);
    // The bind source goes (an unmounted disk, a removed directory): the engine can stop, not start it.
    rmSync(`${dir}/data`, { recursive: true });
    await execIn(id, ['rm', '/www/health']);
    await waitFor('the refused restart', () => h.logs.some((l) => l.msg === 'restart failed'), 15_000);
    mkdirSync(`${dir}/data`); // back: a start would succeed now
    // Backoff 1 s doubling: healer retries within a few seconds.
    await waitFor('running again', () => isRunning(id), 15_000).catch(() => undefined);
    const said = h.logs.filter((l) => l.container === `half-${runId}`).map((l) => l.msg).filter((m) => m !== 'probe failed');
    expect(await isRunning(id), said.join(' / ')).toBe(true);
  }, 60_000);
});
