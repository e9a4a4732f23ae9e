import { describe, expect, it } from 'vitest';
import { docker, newRunId, runContainer, startTestHealer, waitFor, engineSuite, fastLabels } from '../helpers/engine.ts';

// `docker network disconnect` on the real engine reaches healer as a network event, and healer reads the
// container again (its probes are routed from what it reads). The container is on the `none` network
// (loopback only: TESTBED.md creates no network); its probe is unroutable from healer on the host, which
// is never acted on, so nothing here can be restarted.
const suite = engineSuite();

describe('network events on a real engine', () => {
  it('a docker network disconnect is followed: the container is read again with its networks as they are now', async () => {
    const runId = newRunId();
    const id = await runContainer({ runId, name: 'netev', labels: fastLabels(runId, 'tcp://:9'), cmd: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'], networkMode: 'none' });
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId });
    suite.defer(() => h.stop());
    const watch = await waitFor('the watch', () => h.healer.watchdog.watches.get(id));
    expect(Object.keys(watch.info.networks)).toEqual(['none']);
    await docker.getNetwork('none').disconnect({ Container: id });
    await waitFor('the networks read again', () => Object.keys(h.healer.watchdog.watches.get(id)?.info.networks ?? { none: '' }).length === 0, 10_000);
    expect(h.logs.some((l) => l.msg.includes("the container's networks changed"))).toBe(true);
    expect(h.logs.filter((l) => /restarting container|container restarted/.test(l.msg))).toEqual([]);
  }, 60_000);
});
