import { describe, expect, it } from 'vitest';
import { docker, engineSuite, IMAGE, newRunId, sleep, startTestHealer, TEST_LABEL, waitFor } from '../helpers/engine.ts';

// Twenty-fifth adversarial review (operators on the real engine). Fails on the reviewed code.
//
// `healer.liveness: docker` on a container that has no HEALTHCHECK: run with `--no-healthcheck` (Docker
// stores Healthcheck.Test ["NONE"], which inspect.ts already reads as "no HEALTHCHECK"), or an image
// without one. The engine never sends a `health_status` for it, so its liveness can never fail: a hung
// app is never restarted. healer takes the label as valid and says nothing, not in the log, not in
// `/api/status` (`configProblem`, `problems`), not in `healer check` (check.ts prints "docker (HEALTHCHECK
// status, on events)"), although the container's own inspect data says that probe cannot report. Only the
// default (`docker` if the image has a HEALTHCHECK) looks at hasHealthcheck (config/policy.ts toPolicy).
// Trigger: an image with a HEALTHCHECK labelled `healer.liveness: docker`, run with `--no-healthcheck`
// (or `healthcheck: disable: true` in compose) by an operator debugging it.
// (Fix helper: the assertions after the reviewer's one pin down how it is reported; `healer check` is in cli.test.ts.)

const suite = engineSuite();
const IDLE = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'];

describe('review25: healer.liveness=docker on a container run with --no-healthcheck', () => {
  it('is reported (a probe that can never fail), not watched silently', async () => {
    const runId = newRunId();
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId });
    suite.defer(() => h.stop());
    const c = await docker.createContainer({
      name: `nohc-${runId}`,
      Image: IMAGE,
      Cmd: IDLE,
      Labels: { [TEST_LABEL]: runId, 'healer.enable': 'true', 'healer.scope': runId, 'healer.liveness': 'docker' },
      Healthcheck: { Test: ['NONE'] },
      HostConfig: { NetworkMode: 'host' },
    });
    await c.start();
    await waitFor('seen', () => h.healer.watchdog.watches.has(c.id) || h.healer.watchdog.status().problems.some((p) => p.id === c.id));
    await sleep(1000);
    const st = h.healer.watchdog.status();
    const reported = {
      problem: st.problems.some((p) => p.id === c.id),
      configProblem: st.containers.find((x) => x.name === `nohc-${runId}`)?.configProblem,
      logged: h.logs.filter((l) => l.level >= 40 && /HEALTHCHECK|health/i.test(l.msg)).map((l) => l.msg),
    };
    expect(reported.problem || reported.configProblem !== undefined || reported.logged.length > 0, JSON.stringify(reported)).toBe(true);
    // Reported as an unroutable probe is (README, Probes): a configuration problem of a watched container
    // (its exits still count), in the status and logged once, never a label error that would unwatch it.
    expect(h.healer.watchdog.watches.has(c.id)).toBe(true);
    expect(reported.configProblem).toMatch(/^liveness probe docker cannot report: the container has no HEALTHCHECK/);
    expect(reported.logged.filter((m) => m.startsWith('liveness probe docker cannot report'))).toHaveLength(1);
  }, 30_000);
});
