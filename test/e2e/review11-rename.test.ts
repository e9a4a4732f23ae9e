import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { docker, engineSuite, newRunId, runContainer, startTestHealer, waitFor } from '../helpers/engine.ts';
import { freePort } from '../helpers/servers.ts';

// Eleventh adversarial review, on the real engine. Fails on the reviewed code.
//
// After `docker rename api api-old` healer follows the new name in /api/status, metrics, alerts and
// history (w.name reads info.name, refreshed on the rename event), but every log line of the watch still
// names the old container: the watch's logger is a pino child bound once, at creation, with
// `container: info.name` (watch-factory.ts createWatch), and the persisted entry keeps the old `name`
// (discovery.ts update persists only when RestartCount moved). Logs are where README says each failed
// probe, decision and action is found "with container"; after a rename (or compose's rename of a
// re-created container) an operator grepping for the container's name finds nothing, and finds the
// old name on lines about a container of that name that no longer exists or is another one.

const suite = engineSuite();
const IDLE = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'];

describe('review11: docker rename of a watched container', () => {
  it('logs its failed probes under its new name', async () => {
    const runId = newRunId();
    const statePath = `${mkdtempSync(`${tmpdir()}/healer-state-`)}/state.json`;
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, HEALER_STATE_PATH: statePath });
    suite.defer(() => h.stop());
    const port = await freePort(); // nothing listens: every probe fails (never acted on: 1000 failures to act)
    const labels = { 'healer.enable': 'true', 'healer.scope': runId, 'healer.liveness': `tcp://127.0.0.1:${port}`, 'healer.liveness.interval': '300ms', 'healer.liveness.timeout': '200ms', 'healer.liveness.failures': '1000' };
    const id = await runContainer({ runId, name: 'before', labels, cmd: IDLE });
    await waitFor('a failed probe', () => h.logs.some((l) => l.msg === 'probe failed' && l.container === `before-${runId}`));
    await docker.getContainer(id).rename({ name: `after-${runId}` });
    await waitFor('the new name in the status', () => h.healer.watchdog.status().containers.some((c) => c.name === `after-${runId}`));
    const from = h.logs.length;
    await waitFor('more failed probes', () => h.logs.slice(from).filter((l) => l.msg === 'probe failed').length >= 3);
    const names = new Set(h.logs.slice(from).filter((l) => l.msg === 'probe failed').map((l) => l.container));
    expect([...names]).toEqual([`after-${runId}`]);
    // The state file names it as it is now too (it kept the old name until the restart count moved).
    const saved = (): string => {
      try {
        return readFileSync(statePath, 'utf8');
      } catch {
        return '';
      }
    };
    await waitFor('the new name in the state file', () => saved().includes(`after-${runId}`));
    expect(saved()).not.toContain(`before-${runId}`);
  });
});
