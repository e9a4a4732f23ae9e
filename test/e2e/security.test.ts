import { execFile } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { appCommand, engineSuite, newRunId, runContainer, sleep, spawnHealer, waitFor } from '../helpers/engine.ts';
import { parseExposition, sample } from '../helpers/prometheus.ts';
import { receiver } from '../helpers/receiver.ts';
import { freePort, httpServer } from '../helpers/servers.ts';

// SECURITY.md on the real engine: label probes confined to their container, nothing secret on any
// surface, and a body pattern that cannot freeze healer. healer runs as its own process (dist/cli.js):
// a frozen event loop must not freeze the test.

const suite = engineSuite();
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const IDLE = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'];

/** A healer process with a token and optional watchdog.yml, listening on a known loopback port. */
async function healerProcess(runId: string, yaml = '', withToken = true) {
  const dir = mkdtempSync(`${tmpdir()}/healer-sec-`);
  const token = `tok-${runId}-0123456789abcdef`;
  writeFileSync(`${dir}/token`, token);
  writeFileSync(`${dir}/watchdog.yml`, yaml);
  const port = await freePort();
  const env = {
    HEALER_CONFIG: `${dir}/watchdog.yml`,
    HEALER_SERVER_LISTEN: `127.0.0.1:${port}`,
    ...(withToken ? { HEALER_SERVER_TOKEN_FILE: `${dir}/token` } : {}),
    HEALER_DISCOVERY_SCOPE: runId,
    HEALER_STATE_PATH: `${dir}/state.json`,
  };
  const base = `http://127.0.0.1:${port}`;
  const authed = (path: string) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { env, port, base, authed, spawn: () => spawnHealer(env, (fn) => suite.defer(fn)) };
}

/** `healer check` against the same engine and config; stdout, stderr and exit code. */
function check(env: Record<string, string>, ...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, 'check', ...args], { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

/** A TCP listener that counts the connections it receives. */
async function tcpCounter(): Promise<{ port: number; count(): number; close(): Promise<void> }> {
  let n = 0;
  const srv: Server = createServer((s) => {
    n++;
    s.destroy();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  return { port, count: () => n, close: () => new Promise<void>((r) => srv.close(() => r())) };
}

type Status = { containers: { name: string; state: string; liveness?: { probe: string }; readiness?: { probe: string }; lastProbe: { liveness?: { ok: boolean; error?: string } } }[]; problems: { name: string; errors?: string[] }[] };

describe('probe targets are confined to the container', () => {
  it('a container without a network of its own cannot aim a probe at 127.0.0.1, nor a host-network one at healer’s port: nothing is sent, the label error is shown', async () => {
    const runId = newRunId();
    const outside = await receiver(); // stands for "a service on 127.0.0.1 outside the container"
    suite.defer(() => outside.close());
    const tcp = await tcpCounter();
    suite.defer(() => tcp.close());
    const own = await receiver(); // the allowed case: a host-network container's own 127.0.0.1
    suite.defer(() => own.close());
    const h = await healerProcess(runId);
    const { lines } = h.spawn();
    await waitFor('healer up', async () => (await fetch(`${h.base}/healthz`).catch(() => undefined))?.status === 200, 30_000);

    const base = { 'healer.enable': 'true', 'healer.scope': runId, 'healer.liveness.interval': '200ms', 'healer.readiness.interval': '200ms', 'healer.action': 'notify' };
    await runContainer({ runId, name: 'nonet', networkMode: 'none', cmd: IDLE, labels: { ...base, 'healer.liveness': `http://127.0.0.1:${outside.port}/steal`, 'healer.readiness': `tcp://127.0.0.1:${tcp.port}` } });
    await runContainer({ runId, name: 'self', cmd: IDLE, labels: { ...base, 'healer.liveness': `http://:${h.port}/api/status` } });
    await runContainer({ runId, name: 'proxy', cmd: IDLE, labels: { ...base, 'healer.liveness': 'http://:2375/containers/json', 'healer.liveness.method': 'POST' } });
    await runContainer({ runId, name: 'own', cmd: IDLE, labels: { ...base, 'healer.liveness': `http://127.0.0.1:${own.port}/health` } });

    const status = await waitFor('label errors reported', async () => {
      const s = (await (await h.authed('/api/status')).json()) as Status;
      return s.problems.length === 3 && s.containers.length === 1 ? s : undefined;
    });
    await waitFor('the allowed probe reaches its own container', () => own.got.length >= 3);
    await sleep(1000); // several more intervals: still nothing may arrive
    expect(outside.got).toEqual([]);
    expect(tcp.count()).toBe(0);

    const errors = (name: string) => status.problems.find((p) => p.name === `${name}-${runId}`)?.errors ?? [];
    expect(errors('nonet')).toEqual([
      `label healer.liveness on container "nonet-${runId}": "http://127.0.0.1:${outside.port}/steal" refused: 127.0.0.1 is not one of the container's own addresses (a label's probe goes only to its own container; use the empty host, as in http://:${outside.port}, or add 127.0.0.1 to probes.allow_hosts in watchdog.yml to allow it)`,
      `label healer.readiness on container "nonet-${runId}": "tcp://127.0.0.1:${tcp.port}" refused: 127.0.0.1 is not one of the container's own addresses (a label's probe goes only to its own container; use the empty host, as in tcp://:${tcp.port}, or add 127.0.0.1 to probes.allow_hosts in watchdog.yml to allow it)`,
    ]);
    expect(errors('self')).toEqual([expect.stringMatching(new RegExp(`^label healer\\.liveness on container "self-${runId}": "http://:${h.port}/api/status" refused: 127\\.0\\.0\\.1:${h.port} is healer's own listener \\(server\\.listen\\)`))]);
    expect(errors('proxy')).toEqual([
      expect.stringMatching(/"http:\/\/:2375\/containers\/json" refused: port 2375 is the Docker Engine API's/),
      expect.stringMatching(/^label healer\.liveness\.method on container "proxy-.*": method POST is not allowed for labels \(add it to probes\.allow_methods in watchdog\.yml; allowed: GET, HEAD\)$/),
    ]);
    expect(lines.some((l) => l.msg.includes('refused: 127.0.0.1 is not one of the container') && l.msg.endsWith('this container is not watched'))).toBe(true);

    const report = await check(h.env);
    expect(report.code).toBe(1);
    for (const e of [...errors('nonet'), ...errors('self'), ...errors('proxy')]) expect(report.out).toContain(e);
    expect(report.out).toContain(`WATCH   own-${runId}`);
    expect(outside.got).toEqual([]);
  }, 60_000);
});

/**
 * A name other than `localhost` that the system resolver answers with loopback only (from /etc/hosts:
 * the machine's own name here). The test fails, naming what is missing, on a machine without one.
 */
async function loopbackName(): Promise<string> {
  const names = readFileSync('/etc/hosts', 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim().split(/\s+/))
    .filter(([ip]) => ip !== undefined && (ip.startsWith('127.') || ip === '::1'))
    .flatMap(([, ...n]) => n)
    .filter((n) => n !== '' && n !== 'localhost' && /^[a-z0-9][a-z0-9.-]*$/i.test(n));
  for (const name of [hostname(), ...names]) {
    const all = await lookup(name, { all: true }).catch(() => []);
    if (all.length > 0 && all.every((a) => a.address.startsWith('127.') || a.address === '::1')) return name;
  }
  throw new Error('this test needs a name other than localhost that resolves to loopback only (e.g. the machine\'s hostname in /etc/hosts)');
}

describe('a probe host given as a name goes only where it resolves to the container’s own address', () => {
  it('a host-network container is probed through a name resolving to loopback (Host header kept); the same name on a container without a network, or at healer’s own port, is refused and nothing is sent', async () => {
    const runId = newRunId();
    const name = await loopbackName();
    const outside = await receiver();
    suite.defer(() => outside.close());
    const tcp = await tcpCounter();
    suite.defer(() => tcp.close());
    const own = await receiver();
    suite.defer(() => own.close());
    const h = await healerProcess(runId);
    h.spawn();
    await waitFor('healer up', async () => (await fetch(`${h.base}/healthz`).catch(() => undefined))?.status === 200, 30_000);

    const base = { 'healer.enable': 'true', 'healer.scope': runId, 'healer.liveness.interval': '200ms', 'healer.readiness.interval': '200ms', 'healer.action': 'notify' };
    await runContainer({ runId, name: 'named', cmd: IDLE, labels: { ...base, 'healer.liveness': `http://${name}:${own.port}/health` } });
    await runContainer({ runId, name: 'nonet', networkMode: 'none', cmd: IDLE, labels: { ...base, 'healer.liveness': `http://${name}:${outside.port}/steal`, 'healer.readiness': `tcp://${name}:${tcp.port}` } });
    await runContainer({ runId, name: 'self', cmd: IDLE, labels: { ...base, 'healer.liveness': `http://${name}:${h.port}/api/status` } });

    type Row = { name: string; configProblem?: string; lastProbe: { liveness?: { ok: boolean } } };
    const rows = await waitFor('every probe judged', async () => {
      const s = (await (await h.authed('/api/status')).json()) as { containers: Row[] };
      const by = (n: string) => s.containers.find((c) => c.name === `${n}-${runId}`);
      return by('named')?.lastProbe.liveness?.ok === true && by('nonet')?.configProblem && by('self')?.configProblem ? by : undefined;
    });
    await sleep(1000); // several more intervals: still nothing may arrive
    expect(outside.got).toEqual([]);
    expect(tcp.count()).toBe(0);
    expect(own.got.length).toBeGreaterThanOrEqual(3);
    expect(own.got[0]?.headers.host).toBe(`${name}:${own.port}`);
    expect(rows('named')?.configProblem).toBeUndefined();
    expect(rows('nonet')?.configProblem).toMatch(
      new RegExp(`^cannot be probed: ${name} resolves to (127\\.[0-9.]+|::1)(?: \\(of [^)]+\\))?: \\S+ is not one of the container's own addresses; a label's probe goes only to its own container; use the empty host, as in (http|tcp)://:\\d+, or add ${name} to probes\\.allow_hosts in watchdog\\.yml to allow it$`),
    );
    expect(rows('self')?.configProblem).toMatch(new RegExp(`^cannot be probed: ${name} resolves to \\S+: \\S+:${h.port} is healer's own listener \\(server\\.listen\\)`));

    const report = await check(h.env);
    expect(report.code).toBe(1);
    expect(report.out).toMatch(new RegExp(`PROBLEM: +liveness probe refused: ${name} resolves to \\S+( \\(of [^)]+\\))?: \\S+ is not one of the container's own addresses`));
    expect(report.out).toMatch(new RegExp(`PROBLEM: +readiness probe refused: ${name} resolves to`));
    expect(report.out).toMatch(new RegExp(`PROBLEM: +liveness probe refused: ${name} resolves to \\S+: \\S+:${h.port} is healer's own listener`));
    expect(outside.got).toEqual([]);
    expect(tcp.count()).toBe(0);
  }, 60_000);
});

describe('nothing secret leaves healer unasked', () => {
  it('secrets planted in URL userinfo and query, header values, exec arguments and exec output appear on no surface', async () => {
    const runId = newRunId();
    const S = {
      user: `USERSECRET${runId}`,
      query: `QUERYSECRET${runId}`,
      header: `HEADERSECRET${runId}`,
      arg: `ARGSECRET${runId}`,
      output: `OUTPUTSECRET${runId}`,
      errorQuery: `ERRQUERYSECRET${runId}`,
      refusedQuery: `REFUSEDSECRET${runId}`,
    };
    const hook = await receiver();
    suite.defer(() => hook.close());
    const target = await receiver(() => ({ status: 503 })); // the probed app: failing, so alerts fire
    suite.defer(() => target.close());
    const h = await healerProcess(runId, `alerts:\n  channels:\n    - name: hook\n      type: webhook\n      url: ${hook.url}\n  log_lines: 0\n`);
    const { lines } = h.spawn();
    // A second healer without a token: its /api/status is the public view (names and states only).
    const open = await healerProcess(runId, '', false);
    const openRun = open.spawn();
    await waitFor('healer up', async () => (await fetch(`${h.base}/healthz`).catch(() => undefined))?.status === 200, 30_000);
    await waitFor('second healer up', async () => (await fetch(`${open.base}/healthz`).catch(() => undefined))?.status === 200, 30_000);

    const base = { 'healer.enable': 'true', 'healer.scope': runId, 'healer.liveness.interval': '200ms', 'healer.liveness.failures': '1', 'healer.action': 'notify' };
    await runContainer({
      runId,
      name: 'http',
      cmd: IDLE,
      labels: { ...base, 'healer.liveness': `http://admin:${S.user}@127.0.0.1:${target.port}/health?token=${S.query}&x=1`, 'healer.liveness.header.X-Api-Key': S.header },
    });
    // An exec probe takes a few engine round trips: a 2 s interval (and timeout) so that it ends by itself.
    await runContainer({ runId, name: 'exec', cmd: IDLE, labels: { ...base, 'healer.liveness.interval': '2s', 'healer.liveness': `exec:sh -c 'echo ${S.output}; exit 3' ${S.arg}` } });
    await runContainer({ runId, name: 'bad', cmd: IDLE, labels: { ...base, 'healer.liveness': `http://:99999/x?t=${S.errorQuery}` } });
    await runContainer({ runId, name: 'refused', cmd: IDLE, labels: { ...base, 'healer.liveness': `http://192.0.2.1:80/?token=${S.refusedQuery}` } });

    // The secrets were really used: the target got the userinfo, query and header.
    const got = await waitFor('the probe reached its target', () => target.got[0]);
    expect(got.path).toBe(`/health?token=${S.query}&x=1`);
    expect(got.headers['x-api-key']).toBe(S.header);
    expect(Buffer.from((got.headers.authorization ?? '').replace('Basic ', ''), 'base64').toString()).toBe(`admin:${S.user}`);
    await waitFor('both failing containers alerted', () => hook.got.length >= 2, 20_000);
    await waitFor('exec probe failed and was logged', () => lines.some((l) => l.msg === 'probe failed' && String(l.target).startsWith('exec:')));

    const fullStatus = await (await h.authed('/api/status')).text();
    const status = JSON.parse(fullStatus) as Status;
    const surfaces: Record<string, string> = {
      'api/status (token)': fullStatus,
      'api/status (no token)': await (await fetch(`${open.base}/api/status`)).text(),
      metrics: await (await h.authed('/metrics')).text(),
      'metrics (no token)': await (await fetch(`${open.base}/metrics`)).text(),
      log: lines.map((l) => JSON.stringify(l)).join('\n'),
      'log (no token)': openRun.lines.map((l) => JSON.stringify(l)).join('\n'),
      alerts: hook.got.map((r) => `${JSON.stringify(r.headers)}\n${r.raw}`).join('\n'),
      'healer check': (await check(h.env)).out,
      'healer check --json': (await check(h.env, '--json')).out,
    };
    for (const [surface, text] of Object.entries(surfaces)) {
      expect(text.length, surface).toBeGreaterThan(0);
      for (const [kind, secret] of Object.entries(S)) expect(text.includes(secret), `${kind} secret in ${surface}`).toBe(false);
    }
    // What they show instead.
    const c = (name: string) => status.containers.find((x) => x.name === `${name}-${runId}`);
    expect(c('http')?.liveness?.probe).toBe(`http://[redacted]@127.0.0.1:${target.port}/health?token=[redacted]&x=[redacted]`);
    expect(c('exec')?.liveness?.probe).toBe('exec:sh [redacted]');
    expect(c('exec')?.lastProbe.liveness?.error).toMatch(/^exit code 3 \(\d+ bytes of output, not shown\)$/);
    expect(surfaces['healer check']).toContain(`http://[redacted]@127.0.0.1:${target.port}/health?token=[redacted]&x=[redacted]`);
    expect(surfaces['healer check']).toContain('headers X-Api-Key');
    expect(surfaces['healer check']).toContain(`"http://:99999/x?t=[redacted]" has port 99999, outside 1-65535`);
    expect(surfaces['healer check']).toContain(`"http://192.0.2.1:80/?token=[redacted]" refused`);
    const pub = JSON.parse(surfaces['api/status (no token)'] ?? '{}') as { containers: Record<string, unknown>[]; problems: Record<string, unknown>[] };
    // Not compose containers: project and service are absent, so name and state are all there is.
    expect(pub.containers.map((x) => Object.keys(x).sort())).toEqual([['name', 'state'], ['name', 'state']]);
    expect(pub.problems.map((p) => Object.keys(p))).toEqual([['name'], ['name']]);
  }, 60_000);
});

describe('a body pattern cannot freeze healer', () => {
  it('^(a+)+$ against 40 a’s and a "!": /healthz answers within 1 s and another container keeps its schedule', async () => {
    const runId = newRunId();
    const evil = await httpServer((_req, res) => res.end(`${'a'.repeat(40)}!`));
    suite.defer(() => evil.close());
    const h = await healerProcess(runId);
    h.spawn();
    await waitFor('healer up', async () => (await fetch(`${h.base}/healthz`).catch(() => undefined))?.status === 200, 30_000);
    const goodPort = await freePort();
    await runContainer({ runId, name: 'good', cmd: appCommand(goodPort), labels: { 'healer.enable': 'true', 'healer.scope': runId, 'healer.liveness': `http://:${goodPort}/health`, 'healer.liveness.interval': '200ms' } });
    await runContainer({
      runId,
      name: 'regex',
      cmd: IDLE,
      labels: { 'healer.enable': 'true', 'healer.scope': runId, 'healer.liveness': `http://:${evil.port}/`, 'healer.liveness.body': '^(a+)+$', 'healer.liveness.interval': '200ms', 'healer.action': 'notify' },
    });
    const goodProbes = async () => {
      const samples = parseExposition(await (await h.authed('/metrics')).text()).samples;
      return sample(samples, 'healer_probes_total', { container: `good-${runId}`, probe: 'liveness', result: 'success' }) ?? 0;
    };
    const matched = await waitFor('the body check ran and failed', async () => {
      const s = (await (await h.authed('/api/status')).json()) as Status;
      return s.containers.find((c) => c.name === `regex-${runId}`)?.lastProbe.liveness?.error;
    });
    expect(matched).toBe('body does not match /^(a+)+$/');
    const before = await goodProbes();
    for (let i = 0; i < 15; i++) {
      const r = await fetch(`${h.base}/healthz`, { signal: AbortSignal.timeout(1000) });
      expect(r.status).toBe(200);
      await sleep(200);
    }
    // ~3 s at 200 ms: about 15 probes; a stalled loop gives none.
    expect((await goodProbes()) - before).toBeGreaterThanOrEqual(8);
  }, 60_000);
});
