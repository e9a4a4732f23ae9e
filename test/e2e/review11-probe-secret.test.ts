import { describe, expect, it } from 'vitest';
import { engineSuite, newRunId, runContainer, startTestHealer, waitFor } from '../helpers/engine.ts';
import { receiver } from '../helpers/receiver.ts';
import { freePort } from '../helpers/servers.ts';

// Eleventh adversarial review, on the real engine. Fails on the reviewed code.
//
// healer keeps a label probe's secrets out of everything it shows ("URL userinfo, query values, exec
// arguments ... are redacted: http://[redacted]@:8080/health?token=[redacted]"; "Header values are never
// printed"; PRODUCT.md: "Secrets never appear in logs, alerts, status or metrics"), but every alert
// carries the container's last log lines, and the redaction applied to them (alerter.ts build:
// `redact(l, this.secrets)`) knows only the channel URLs, HMAC keys and channel headers
// (config/channels.ts). An app that logs the requests it gets (any access log: the request line with
// its query, often the headers) logs healer's own probe, token and all, and the next alert about that
// container sends it to Slack / the webhook. Trigger: `healer.liveness: http://:8080/health?token=...`
// or `healer.liveness.header.Authorization: Bearer ...` on an app with an access log, which fails.

const suite = engineSuite();

describe("review11: a label probe's token echoed by the app's access log", () => {
  it('is redacted from the log lines an alert carries', async () => {
    const runId = newRunId();
    const r = await receiver();
    suite.defer(() => r.close());
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId }, `alerts:\n  retries: 1\n  timeout: 1s\n  channels:\n    - name: hook\n      type: webhook\n      url: ${r.url}\n      events: [unhealthy]\n`);
    suite.defer(() => h.stop());
    const port = await freePort();
    // An app that answers 503 and writes each request it gets to its log, as an access log does.
    const reply = 'HTTP/1.0 503 Unavailable\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n';
    await runContainer({
      runId,
      name: 'echo',
      cmd: ['sh', '-c', `while true; do printf "${reply}" | nc -l -p ${port}; done`],
      labels: {
        'healer.enable': 'true',
        'healer.scope': runId,
        'healer.action': 'notify',
        'healer.liveness': `http://:${port}/health?token=Qu3ryT0kenValue`,
        'healer.liveness.header.Authorization': 'Bearer H3aderT0kenValue',
        'healer.liveness.interval': '300ms',
        'healer.liveness.timeout': '250ms',
        'healer.liveness.failures': '3',
      },
    });
    const got = await waitFor('the unhealthy alert', () => r.got.find((g) => (g.body as { alert?: { event?: string } } | undefined)?.alert?.event === 'unhealthy'));
    const logs = (got.body as { alert: { logs?: string[] } }).alert.logs ?? [];
    expect(logs.join('\n'), 'the app logged the probe requests (the alert carries them)').toContain('GET /health');
    expect(got.raw).not.toContain('Qu3ryT0kenValue');
    expect(got.raw).not.toContain('H3aderT0kenValue');
  });
});
