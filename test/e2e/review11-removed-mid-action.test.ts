import { describe, expect, it } from 'vitest';
import { docker, engineSuite, newRunId, runContainer, startTestHealer, waitFor } from '../helpers/engine.ts';
import { freePort } from '../helpers/servers.ts';

// Eleventh review's unproven risk, same class as the --rm case: a container removed while healer's
// restart of it is under way (`docker rm -f`, or `docker compose up -d` re-creating it). The engine
// answers healer's restart with 404/409 ("no such container", "marked for removal"): the container is
// gone, which ends its watch; it is not a failed restart (no restart_failed alert, no retry).

const suite = engineSuite();
// Ignores SIGTERM, so healer's restart waits out its grace: the window in which the container is removed.
const STUBBORN = ['sh', '-c', 'trap "" TERM; while true; do sleep 0.2; done'];

describe('review11: a container removed during healer restart', () => {
  it('is taken as gone, not alerted as restart_failed', async () => {
    const runId = newRunId();
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId });
    suite.defer(() => h.stop());
    const port = await freePort(); // nothing listens: the liveness probe fails and healer restarts it
    const labels = {
      'healer.enable': 'true',
      'healer.scope': runId,
      'healer.liveness': `tcp://127.0.0.1:${port}`,
      'healer.liveness.interval': '300ms',
      'healer.liveness.timeout': '200ms',
      'healer.liveness.failures': '1',
      'healer.restart.timeout': '10s',
    };
    const id = await runContainer({ runId, name: 'doomed', labels, cmd: STUBBORN });
    await waitFor('healer restarting it', () => h.logs.some((l) => l.msg === 'restarting container' && l.container === `doomed-${runId}`));
    await docker.getContainer(id).remove({ force: true });
    await waitFor('its watch ended', () => h.logs.some((l) => l.msg === 'container removed; no longer watched' && l.container === `doomed-${runId}`));
    await waitFor('healer restart answered', () => h.logs.some((l) => typeof l.msg === 'string' && (l.msg === 'restart failed' || l.msg.startsWith('restart skipped'))));
    const failed = h.logs.filter((l) => l.msg === 'restart failed').map((l) => String(l.reason));
    expect(failed, 'restart_failed alerts for a container removed under healer restart').toEqual([]);
  });
});
