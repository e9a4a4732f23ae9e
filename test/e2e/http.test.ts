import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { appCommand, execIn, fastLabels, newRunId, runContainer, startTestHealer, stopEngine, waitFor, engineSuite, docker } from '../helpers/engine.ts';
import { metricNamesIn, parseExposition, promtool, sample, startPrometheus } from '../helpers/prometheus.ts';
import { receiver } from '../helpers/receiver.ts';
import { freePort } from '../helpers/servers.ts';

const suite = engineSuite();
const RULES = new URL('../../compose/prometheus/healer-rules.yml', import.meta.url).pathname;
const RULE_TESTS = new URL('../prometheus/healer-rules.test.yml', import.meta.url).pathname;
const DASHBOARD = new URL('../../compose/grafana/healer-dashboard.json', import.meta.url).pathname;

interface Dashboard {
  panels: { title: string; targets: { expr: string }[] }[];
}
const dashboardExprs = (): { panel: string; expr: string }[] =>
  (JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard).panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr })));

const labels = (runId: string, port: number): Record<string, string> =>
  fastLabels(runId, `http://:${port}/health`, { 'healer.readiness': `tcp://127.0.0.1:${port}`, 'healer.readiness.interval': '500ms', 'healer.restart.timeout': '2s' });

const get = async (base: string, path: string, token?: string) => {
  const res = await fetch(`${base}${path}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
};

/**
 * A healer (with a webhook channel to a local receiver) watching one app and one container with a label
 * error; the app is broken once and the call returns after healer restarted it and it recovered.
 */
async function healedOnce(badLabel: Record<string, string>) {
  const runId = newRunId();
  const port = await freePort();
  const hook = await receiver();
  suite.defer(() => hook.close());
  const id = await runContainer({ runId, name: 'web', labels: labels(runId, port), cmd: appCommand(port) });
  await runContainer({ runId, name: 'bad', labels: { 'healer.enable': 'true', 'healer.scope': runId, ...badLabel }, cmd: appCommand(await freePort()) });
  const yaml = `alerts:\n  channels:\n    - name: hook\n      type: webhook\n      url: ${hook.url}\n`;
  // A token: the full /api/status needs one (without, it shows names and states only).
  const token = `t-${runId}-0123456789abcdef`;
  const tokenDir = mkdtempSync(`${tmpdir()}/healer-token-`);
  writeFileSync(`${tokenDir}/token`, token);
  const { healer } = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, HEALER_SERVER_TOKEN_FILE: `${tokenDir}/token` }, yaml);
  suite.defer(() => healer.stop(5000));
  await waitFor('first passing probe', () => healer.watchdog.watches.get(id)?.state.liveness.up === true);
  await execIn(id, ['rm', '/www/health']);
  await waitFor('restart counted', () => healer.watchdog.watches.get(id)?.counts.restarts.liveness === 1);
  await waitFor('recovered', () => healer.watchdog.watches.get(id)?.state.liveness.up === true);
  await waitFor('alerts delivered', () => hook.got.length >= 3); // unhealthy, restarted, recovered
  return { runId, port, id, healer, token, base: `http://${healer.server?.address ?? 'none'}` };
}

describe('metrics and HTTP endpoints', () => {
  it('after healing a container: the live scrape passes promtool, says what happened, and /api/status agrees', async () => {
    const { runId, port, id, healer, base, token } = await healedOnce({ 'healer.liveness.interval': 'soon' });
    const name = `web-${runId}`;

    const scrape = await get(base, '/metrics', token);
    expect(scrape.status).toBe(200);
    expect(scrape.type).toContain('text/plain');
    const lint = await promtool(['check', 'metrics'], scrape.text);
    expect(lint.out).toBe('');
    expect(lint.code).toBe(0);

    const { samples, families } = parseExposition(scrape.text);
    const who = { container: name, project: '', service: '' };
    expect(sample(samples, 'healer_restarts_total', { ...who, reason: 'liveness' })).toBe(1);
    expect(sample(samples, 'healer_restarts_total', { ...who, reason: 'exit' })).toBe(0);
    expect(sample(samples, 'healer_restart_failures_total', { ...who, reason: 'liveness' })).toBe(0);
    expect(sample(samples, 'healer_probes_total', { ...who, probe: 'liveness', result: 'failure' })).toBeGreaterThanOrEqual(2);
    expect(sample(samples, 'healer_probes_total', { ...who, probe: 'liveness', result: 'success' })).toBeGreaterThanOrEqual(2);
    expect(sample(samples, 'healer_probes_total', { ...who, probe: 'readiness', result: 'success' })).toBeGreaterThanOrEqual(1);
    expect(sample(samples, 'healer_container_up', { ...who, probe: 'liveness' })).toBe(1);
    expect(sample(samples, 'healer_container_restarts_in_window', who)).toBe(1);
    expect(sample(samples, 'healer_container_crashloop', who)).toBe(0);
    expect(sample(samples, 'healer_recovery_duration_seconds_count')).toBe(1);
    expect(sample(samples, 'healer_recovery_duration_seconds_sum')).toBeGreaterThan(0.3); // two failed probes 300ms apart, then a restart
    expect(sample(samples, 'healer_probe_duration_seconds_count', { kind: 'http' })).toBeGreaterThanOrEqual(4);
    expect(sample(samples, 'healer_probe_duration_seconds_count', { kind: 'tcp' })).toBeGreaterThanOrEqual(1);
    expect(sample(samples, 'healer_containers_watched', { state: 'healthy' })).toBe(1);
    expect(samples.filter((s) => s.name === 'healer_containers_watched').reduce((n, s) => n + s.value, 0)).toBe(1);
    expect(sample(samples, 'healer_config_errors', { container: `bad-${runId}` })).toBe(1);
    expect(sample(samples, 'healer_docker_up')).toBe(1);
    expect(sample(samples, 'healer_breaker_open')).toBe(0);
    expect(sample(samples, 'healer_alerts_total', { channel: 'hook', result: 'sent' })).toBeGreaterThanOrEqual(3);
    expect(sample(samples, 'healer_alerts_total', { channel: 'hook', result: 'failed' })).toBe(0);
    expect(sample(samples, 'healer_alert_retries_total', { channel: 'hook' })).toBe(0);
    expect(sample(samples, 'healer_process_resident_memory_bytes')).toBeGreaterThan(0);
    for (const [family, type] of families) expect(family.startsWith('healer_'), `${family} (${type})`).toBe(true);

    const status = JSON.parse((await get(base, '/api/status', token)).text) as {
      engine: { engine: string; version: string; apiVersion: string };
      engineReachable: boolean;
      containers: { name: string; state: string; restartsInWindow: number; liveness: { probe: string; up: boolean }; lastProbe: { liveness: { ok: boolean } } }[];
      problems: { name: string; errors: string[] }[];
    };
    expect(status.engineReachable).toBe(true);
    expect(status.engine.engine).toBe('docker');
    expect(status.engine.apiVersion).toMatch(/^1\.\d+$/);
    expect(status.containers).toHaveLength(1);
    expect(status.containers[0]).toMatchObject({ name, state: 'healthy', restartsInWindow: 1, liveness: { probe: `http://:${port}/health`, up: true }, lastProbe: { liveness: { ok: true } } });
    expect(status.problems).toHaveLength(1);
    expect(status.problems[0]?.name).toBe(`bad-${runId}`);
    expect(status.problems[0]?.errors).toEqual([expect.stringContaining('healer.liveness.interval')]);
    expect((await get(base, '/healthz')).status).toBe(200);

    // A container that goes away leaves no series behind.
    await docker.getContainer(id).remove({ force: true, v: true });
    await waitFor('container forgotten', () => !healer.watchdog.watches.has(id));
    const after = parseExposition((await get(base, '/metrics', token)).text).samples;
    expect(after.filter((s) => s.labels.container === name)).toEqual([]);
    expect(sample(after, 'healer_recovery_duration_seconds_count')).toBe(1); // history stays
  });

  it('every metric in the alert rules and the dashboard exists in a live scrape, and a real Prometheus evaluates them all', async () => {
    const { healer, base, token } = await healedOnce({ 'healer.action': 'explode' });
    const scrape = (await get(base, '/metrics', token)).text;
    const { samples, families } = parseExposition(scrape);
    const present = new Set(samples.map((s) => s.name));
    for (const [f, type] of families) if (type === 'counter' || type === 'gauge') present.add(f);
    const dashboard = dashboardExprs();
    const used = new Set([...metricNamesIn(readFileSync(RULES, 'utf8')), ...dashboard.flatMap((d) => [...metricNamesIn(d.expr)])]);
    expect(used.size).toBeGreaterThan(15);
    const missing = [...used].filter((n) => !present.has(n));
    expect(missing).toEqual([]);

    // The expressions themselves: a real Prometheus scrapes this healer, loads the rules and runs every panel query.
    const prom = await startPrometheus({ target: healer.server?.address ?? 'none', token, ruleFiles: [RULES] });
    suite.defer(() => prom.stop());
    await waitFor('prometheus scraped healer', async () => ((await prom.query('healer_build_info')).data?.result.length ?? 0) > 0, 20_000);
    for (const { panel, expr } of dashboard) {
      const q = expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '5m').replaceAll('$instance', '.*');
      const r = await prom.query(q);
      expect({ panel, expr, status: r.status, error: r.error }).toEqual({ panel, expr, status: 'success', error: undefined });
    }
    const watched = await prom.query('sum(healer_containers_watched)');
    expect(watched.data?.result).toHaveLength(1);
    const rules = (await (await fetch(`${prom.url}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
    const loaded = rules.data.groups.flatMap((g) => g.rules);
    expect(loaded.length).toBe(9);
    await waitFor('every rule evaluated', async () => {
      const r = (await (await fetch(`${prom.url}/api/v1/rules`)).json()) as typeof rules;
      return r.data.groups.flatMap((g) => g.rules).every((x) => x.health === 'ok');
    });
  });

  it('the shipped rules pass promtool check rules and their unit tests (every alert firing and not firing)', async () => {
    const check = await promtool(['check', 'rules', RULES]);
    expect(check.out).toContain('SUCCESS: 9 rules found');
    expect(check.code).toBe(0);
    const tests = await promtool(['test', 'rules', RULE_TESTS]);
    expect(tests.out).toContain('SUCCESS');
    expect(tests.code).toBe(0);
    const alerts = [...readFileSync(RULES, 'utf8').matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
    const tested = readFileSync(RULE_TESTS, 'utf8');
    for (const a of alerts) {
      // each alert has a case where it fires (exp_alerts with labels) and one where it must not (exp_alerts: [])
      const blocks = tested.split(/alertname: /).slice(1).filter((b) => b.startsWith(`${a ?? ''}\n`));
      expect(blocks.some((b) => /exp_alerts: \[\]/.test(b.split('\n')[1] ?? '')), `${a ?? ''} not-firing case`).toBe(true);
      expect(blocks.some((b) => /exp_alerts:\s*$/.test(b.split('\n')[1] ?? '')), `${a ?? ''} firing case`).toBe(true);
    }
  });

  it('with server.token_file, /metrics and /api/status need the bearer token; /healthz does not', async () => {
    const runId = newRunId();
    const dir = mkdtempSync(`${tmpdir()}/healer-token-`);
    const token = 'c2VjcmV0LXRva2VuLWZvci10ZXN0cw';
    writeFileSync(`${dir}/token`, `${token}\n`);
    const { healer, logs } = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, HEALER_SERVER_TOKEN_FILE: `${dir}/token` });
    suite.defer(() => healer.stop(5000));
    const base = `http://${healer.server?.address ?? 'none'}`;
    for (const path of ['/metrics', '/api/status']) {
      const none = await get(base, path);
      expect(none.status).toBe(401);
      expect(none.text).not.toContain('healer_');
      expect((await get(base, path, 'wrong-token-of-some-length')).status).toBe(401);
      expect((await get(base, path, `${token}x`)).status).toBe(401);
      expect((await get(base, path, token)).status).toBe(200);
    }
    expect((await get(base, '/healthz')).status).toBe(200);
    expect((await get(base, '/nothing')).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    expect(JSON.stringify(logs)).not.toContain(token);
    // Prometheus scrapes with the same token from a credentials file.
    const prom = await startPrometheus({ target: healer.server?.address ?? 'none', token });
    suite.defer(() => prom.stop());
    await waitFor('prometheus scraped healer with the token', async () => ((await prom.query('up{job="healer"} == 1')).data?.result.length ?? 0) > 0, 20_000);
  });

  it('/healthz turns 503 while the engine is down and 200 once healer has reconnected', async () => {
    const runId = newRunId();
    const { healer } = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId });
    suite.defer(() => healer.stop(5000));
    const base = `http://${healer.server?.address ?? 'none'}`;
    expect(await get(base, '/healthz')).toMatchObject({ status: 200, text: '{"status":"ok"}\n' });

    const startEngine = await stopEngine();
    let started = false;
    suite.defer(async () => {
      if (!started) await startEngine();
    });
    const down = await waitFor('healthz 503', async () => {
      const r = await get(base, '/healthz');
      return r.status === 503 ? r : undefined;
    });
    expect(JSON.parse(down.text)).toEqual({ status: 'unhealthy', reason: 'docker engine unreachable' });
    expect(sample(parseExposition((await get(base, '/metrics')).text).samples, 'healer_docker_up')).toBe(0);

    await startEngine();
    started = true;
    await waitFor('healthz 200 again', async () => (await get(base, '/healthz')).status === 200, 60_000);
    const samples = parseExposition((await get(base, '/metrics')).text).samples;
    expect(sample(samples, 'healer_docker_up')).toBe(1);
    expect(sample(samples, 'healer_docker_event_reconnects_total')).toBeGreaterThanOrEqual(1);
  });
});
