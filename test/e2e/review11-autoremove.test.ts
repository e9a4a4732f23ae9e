import { describe, expect, it } from 'vitest';
import { docker, engineSuite, IMAGE, newRunId, recordEvents, sleep, startTestHealer, TEST_LABEL } from '../helpers/engine.ts';

// Eleventh adversarial review, on the real engine. Fails on the reviewed code.
//
// A container started with `--rm` (HostConfig.AutoRemove) is removed by the engine as it exits; healer
// does not read AutoRemove (inspect.ts) and, with `healer.restart.on_exit`, starts it on its crash at
// once (the first start has no backoff): the engine answers `409 container is marked for removal and
// cannot be started`, which healer alerts as `restart_failed` (Alertmanager: HealerRestartFailed fires)
// and schedules a retry, every time, for a container nobody can start again. Measured here: 5 of 5.
// Expected: the crash is alerted (`died`), and a container the engine is removing (AutoRemove, or a 409
// "marked for removal"/404 on the start) is taken as gone, not as a failed restart.

const suite = engineSuite();

describe('review11: on_exit on a container started with --rm (AutoRemove)', () => {
  it('does not alert restart_failed for a container the engine removes as it exits', async () => {
    const runId = newRunId();
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId });
    suite.defer(() => h.stop());
    for (let i = 0; i < 5; i++) {
      const c = await docker.createContainer({
        name: `rm${i}-${runId}`,
        Image: IMAGE,
        Cmd: ['sh', '-c', 'sleep 0.5; exit 3'],
        Labels: { [TEST_LABEL]: runId, 'healer.enable': 'true', 'healer.scope': runId, 'healer.restart.on_exit': 'true' },
        HostConfig: { NetworkMode: 'host', AutoRemove: true },
      });
      await c.start();
    }
    await sleep(4_000);
    expect(h.logs.filter((l) => l.msg === 'container died'), 'each crash is seen (and alerted as died)').toHaveLength(5);
    const failed = h.logs.filter((l) => l.msg === 'restart failed').map((l) => `${String(l.container)}: ${String(l.reason)}`);
    expect(failed, 'restart_failed alerts for containers the engine removes as they exit').toEqual([]);
  });
});
