import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { Alerter } from '../../src/alerting/alerter.ts';
import { redact } from '../../src/config/channels.ts';
import { loadConfig } from '../../src/config/load.ts';
import { probeSecrets } from '../../src/config/probe-secrets.ts';
import { parseProbeSpec } from '../../src/config/probe-spec.ts';
import type { Engine } from '../../src/docker/engine.ts';
import { receiver } from '../helpers/receiver.ts';

const probe = (text: string, headers: Record<string, string> = {}) => {
  const r = parseProbeSpec(text);
  if (!r.ok) throw new Error(r.error);
  return { spec: r.spec, headers };
};

// What an app's access log writes when healer probes it: the request line, sometimes the headers.
const accessLog = [
  '127.0.0.1 - - "GET /health?token=Qu3ryT0ken%2Bx&verbose=1 HTTP/1.1" 503 0',
  'GET /health?token=Qu3ryT0ken+x (decoded by the framework)',
  'headers: {"authorization":"Bearer H3aderT0kenValue","x-probe":"1"}',
  'auth: Basic YWRtaW46aHVudGVyMiE=',
  'user admin logged in with hunter2!',
];

describe("probeSecrets: a probe's secrets as its target receives them", () => {
  it('covers query values (raw and decoded), header credentials and Basic userinfo; not short bare words', () => {
    const secrets = [
      ...probeSecrets(probe('http://admin:hunter2%21@:8080/health?token=Qu3ryT0ken%2Bx&verbose=1', { Authorization: 'Bearer H3aderT0kenValue', 'X-Probe': '1' })),
    ];
    const out = accessLog.map((l) => redact(l, secrets));
    expect(out.join('\n')).not.toMatch(/Qu3ryT0ken|H3aderT0kenValue|YWRtaW46aHVudGVyMiE|hunter2/);
    // A short value goes with its name (as redactProbeSpec shows every query value redacted).
    expect(out[0]).toBe('127.0.0.1 - - "GET /health?token=[redacted]&[redacted] HTTP/1.1" 503 0');
    expect(out[2]).toContain('"x-probe":"1"'); // a 1 is not cut from every line
  });

  it('has nothing for probes without secrets', () => {
    expect(probeSecrets(probe('http://:8080/healthz'))).toEqual([]);
    expect(probeSecrets(probe('exec:mysqladmin -pS3CRETpw ping'))).toEqual([]);
    expect(probeSecrets(undefined)).toEqual([]);
  });
});

const dispatcher = new Agent();
afterAll(() => dispatcher.close());

describe("the alert's log lines", () => {
  it("have the container's own probe secrets cut out, and the payload does not carry them", async () => {
    const r = await receiver();
    const dir = mkdtempSync(`${tmpdir()}/healer-probe-secrets-`);
    writeFileSync(`${dir}/w.yml`, `alerts:\n  channels:\n    - name: hook\n      type: webhook\n      url: ${r.url}\n`);
    const loaded = loadConfig(`${dir}/w.yml`, {});
    const engine = { logs: () => Promise.resolve(accessLog) } as unknown as Engine;
    const alerter = new Alerter({ specs: loaded.channels, config: loaded.config.alerts, secrets: loaded.secrets, dispatcher, engine, log: pino({ level: 'silent' }) });
    const secrets = probeSecrets(probe('http://admin:hunter2%21@:8080/health?token=Qu3ryT0ken%2Bx', { Authorization: 'Bearer H3aderT0kenValue' }));
    try {
      alerter.emit({ event: 'unhealthy', summary: 'api is unhealthy', reason: 'test', container: { id: 'c1', name: 'api', image: 'img', project: undefined, service: undefined }, secrets });
      for (let i = 0; i < 100 && r.got.length === 0; i++) await sleep(20);
      expect(r.got).toHaveLength(1);
      const logs = (r.got[0]?.body as { alert: { logs: string[] } }).alert.logs;
      expect(logs[0]).toContain('GET /health?token=[redacted]');
      expect(r.got[0]?.raw).not.toMatch(/Qu3ryT0ken|H3aderT0kenValue|YWRtaW46aHVudGVyMiE|hunter2|"secrets"/);
    } finally {
      await alerter.flush(1000);
      await r.close();
    }
  });
});
