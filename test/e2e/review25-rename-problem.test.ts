import { describe, expect, it } from 'vitest';
import { docker, engineSuite, newRunId, runContainer, sleep, startTestHealer, waitFor } from '../helpers/engine.ts';

// Twenty-fifth adversarial review (operators on the real engine). Fails on the reviewed code.
//
// README: healer "follows a `docker rename` (or compose's rename of a re-created container) everywhere:
// log lines, `/api/status`, metrics ...". Not for a container it does not watch because of a label error:
// its `rename` event goes nowhere (event-router.ts: no watch, not a start: only held for a first inspect),
// and a later look at it returns early while it is listed as a problem (discovery.ts look:
// `if (this.host.problems.has(id) && !resync) return`). So `/api/status` `problems`, the page and
// `healer_label_errors{container=...}` keep naming it by its old name until healer resyncs (a reconnect),
// while `docker ps` shows no container of that name. With Compose v2, which creates the new container of
// a `docker compose up -d` re-creation under a temporary name (`<hash>_web`) and renames it once the old
// one is removed, the label problem of the re-created service is reported under that temporary name.
// Trigger: a container with a label error (here `healer.liveness.interval: soon`), then `docker rename`.

const suite = engineSuite();
const IDLE = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'];

describe('review25: docker rename of a container with a label error', () => {
  it('names it by its new name in /api/status problems (what the page and healer_label_errors read too)', async () => {
    const runId = newRunId();
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId });
    suite.defer(() => h.stop());
    const labels = { 'healer.enable': 'true', 'healer.scope': runId, 'healer.liveness': 'tcp://127.0.0.1:9', 'healer.liveness.interval': 'soon' };
    const id = await runContainer({ runId, name: `0123456789ab_web`, labels, cmd: IDLE });
    await waitFor('its label problem', () => h.healer.watchdog.status().problems.some((p) => p.id === id));
    await docker.getContainer(id).rename({ name: `web-${runId}` });
    await sleep(3000);
    expect(h.healer.watchdog.status().problems.filter((p) => p.id === id).map((p) => p.name)).toEqual([`web-${runId}`]);
  }, 30_000);
});
