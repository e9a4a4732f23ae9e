import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startEngineProxy } from '../helpers/engine-proxy.ts';
import { parseExposition, sample } from '../helpers/prometheus.ts';
import { freePort, httpServer } from '../helpers/servers.ts';
import { appCommand, docker, engineSuite, execIn, fastLabels, isRunning, newRunId, recordEvents, runContainer, sleep, startTestHealer, waitFor } from '../helpers/engine.ts';

// Probe targets and containers misbehave in every way we can produce: none of it may leak sockets or
// timers, hold up other containers' probes, or take healer down.
const suite = engineSuite();
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const IDLE = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'];

/** A hostile HTTP server: hangs, trickles, floods, resets, redirects. */
async function hostile() {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const srv = await httpServer((req, res) => {
    sockets.add(req.socket);
    req.socket.once('close', () => sockets.delete(req.socket));
    switch (req.url) {
      case '/hang':
        return; // never answers
      case '/trickle': {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        const t = setInterval(() => res.write('.'), 100);
        timers.add(t);
        res.once('close', () => clearInterval(t));
        return;
      }
      case '/huge': {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        const pump = (): void => {
          while (res.write(chunk));
          res.once('drain', pump);
        };
        pump();
        return;
      }
      case '/reset':
        req.socket.destroy();
        return;
      case '/redirect':
        res.writeHead(302, { Location: 'http://127.0.0.1:9/elsewhere' }).end();
        return;
      default:
        res.writeHead(404).end();
    }
  });
  return {
    port: srv.port,
    close: async () => {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      await srv.close();
    },
  };
}

/** The bearer token the spawned healer requires (the full /api/status needs one). */
const TOKEN = 'target-faults-token-0123456789';
const auth = { headers: { authorization: `Bearer ${TOKEN}` } };

async function scrape(port: number) {
  return parseExposition(await (await fetch(`http://127.0.0.1:${port}/metrics`, auth)).text()).samples;
}

describe('target faults', () => {
  it('hanging, trickling, flooding, resetting and redirecting targets, a hung exec, containers removed and renamed mid-probe: no leaks, nothing held up', async () => {
    const runId = newRunId();
    const bad = await hostile();
    suite.defer(() => bad.close());
    const noisy = (probe: string, extra: Record<string, string> = {}) =>
      fastLabels(runId, probe, { 'healer.action': 'notify', 'healer.liveness.interval': '500ms', 'healer.liveness.timeout': '500ms', 'healer.liveness.body': 'ok', ...extra });
    for (const path of ['hang', 'trickle', 'huge', 'reset', 'redirect']) {
      await runContainer({ runId, name: path, labels: noisy(`http://127.0.0.1:${bad.port}/${path}`), cmd: IDLE });
    }
    const hungExec = await runContainer({ runId, name: 'hungexec', labels: noisy('exec:sleep 100000'), cmd: IDLE });
    const renamed = await runContainer({ runId, name: 'renamed', labels: noisy('exec:sleep 100000'), cmd: IDLE });
    const goodPort = await freePort();
    const good = await runContainer({ runId, name: 'good', labels: fastLabels(runId, `http://:${goodPort}/health`, { 'healer.liveness.interval': '200ms' }), cmd: appCommand(goodPort) });

    const port = await freePort();
    // Most of these containers fail on purpose: the mass-failure breaker would (rightly) pause; off here.
    const config = `${tmpdir()}/healer-faults-${runId}.yml`;
    writeFileSync(config, 'guards:\n  mass_failure:\n    fraction: 1\n');
    writeFileSync(`${config}.token`, TOKEN);
    const child = spawn(process.execPath, [cli], {
      env: { ...process.env, HEALER_CONFIG: config, HEALER_STATE_PATH: `${tmpdir()}/healer-faults-${runId}.json`, HEALER_SERVER_LISTEN: `127.0.0.1:${port}`, HEALER_DISCOVERY_SCOPE: runId, HEALER_LOG_LEVEL: 'warn', HEALER_SERVER_TOKEN_FILE: `${config}.token` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    suite.defer(async () => {
      child.kill('SIGTERM');
      await exited;
    });
    await waitFor('healer up', async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200, 30_000);
    await waitFor('all watched', async () => (await scrape(port)).filter((s) => s.name === 'healer_containers_watched').reduce((n, s) => n + s.value, 0) === 8);

    await sleep(3000); // warm up: every probe has run and timed out several times
    const first = await scrape(port);
    // Mid-probe, an exec'd container is removed and another renamed.
    await docker.getContainer(hungExec).remove({ force: true, v: true });
    await docker.getContainer(renamed).rename({ name: `renamed-later-${runId}` });
    await sleep(6000);
    const second = await scrape(port);

    const kinds = (samples: typeof first, type: string) => sample(samples, 'healer_nodejs_active_resources', { type }) ?? 0;
    // Sockets and timers stay bounded by what is in flight (one per probe at most), not by time.
    for (const type of ['TCPSocketWrap', 'Timeout']) {
      expect(kinds(second, type), `${type}: ${kinds(first, type)} → ${kinds(second, type)}`).toBeLessThanOrEqual(kinds(first, type) + 3);
      expect(kinds(second, type)).toBeLessThan(30);
    }
    const heap = (s: typeof first) => sample(s, 'healer_nodejs_heap_size_used_bytes') ?? 0;
    expect(heap(second) - heap(first)).toBeLessThan(50 * 1024 * 1024); // no 64 KiB body is kept, let alone a flood
    // The healthy neighbour kept its 200 ms schedule: ~30 probes in those 6 s; far fewer means it was held up.
    const goodOk = (s: typeof first) => sample(s, 'healer_probes_total', { container: `good-${runId}`, probe: 'liveness', result: 'success' }) ?? 0;
    expect(goodOk(second) - goodOk(first)).toBeGreaterThan(15);
    // Each hostile target failed, with its reason, and nothing was restarted (action: notify).
    const status = (await (await fetch(`http://127.0.0.1:${port}/api/status`, auth)).json()) as { containers: { name: string; lastProbe: { liveness?: { ok: boolean; error?: string; status?: number } } }[] };
    const last = (name: string) => status.containers.find((c) => c.name === `${name}-${runId}`)?.lastProbe.liveness;
    expect(last('hang')).toMatchObject({ ok: false, error: 'timed out after 500ms' });
    expect(last('trickle')).toMatchObject({ ok: false, error: 'timed out after 500ms' });
    expect(last('huge')?.ok).toBe(false);
    expect(last('reset')?.ok).toBe(false);
    expect(last('redirect')).toMatchObject({ ok: false, status: 302 }); // judged by status and body, never followed
    expect(status.containers.map((c) => c.name)).not.toContain(`hungexec-${runId}`);
    expect(status.containers.map((c) => c.name)).toContain(`renamed-later-${runId}`);
    // Its hung command is never started twice: the probes after the first fail on it (one process, not one per 500 ms).
    expect(last('renamed-later')).toMatchObject({ ok: false, error: expect.stringMatching(/^the command of an earlier probe is still running \(exec [0-9a-f]{12}\)$/) as unknown });
    const top = (await docker.getContainer(renamed).top()) as { Processes: string[][] };
    expect(top.Processes.filter((p) => p.at(-1) === 'sleep 100000')).toHaveLength(1);
    expect(await isRunning(good)).toBe(true);
    expect(child.exitCode).toBeNull();
    expect(out.split('\n').filter((l) => /"level":(50|60)/.test(l))).toEqual([]); // no errors or fatals, only warnings about failing probes
  }, 90_000);

  it('a restart the engine never answers is given up after the grace plus 10 s, and healer carries on', async () => {
    const runId = newRunId();
    const proxy = await startEngineProxy();
    suite.defer(() => proxy.close());
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    const port = await freePort();
    const app = await runContainer({ runId, name: 'app', labels: fastLabels(runId, `http://:${port}/health`), cmd: appCommand(port) });
    const { healer, logs } = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, DOCKER_HOST: proxy.host });
    suite.defer(() => healer.stop(5000));
    await waitFor('healthy', () => healer.watchdog.watches.get(app)?.state.liveness.up === true);
    proxy.stallRestarts = true;
    await execIn(app, ['rm', '/www/health']);
    await waitFor('restart requested', () => logs.some((l) => l.msg === 'restarting container'));
    const failed = await waitFor('restart given up', () => logs.find((l) => l.msg === 'restart failed'), 20_000);
    expect(failed.reason).toMatch(/^restart [0-9a-f]{12} failed: the engine did not answer within 11s$/);
    // An attempt the engine did not carry out backs off but is no restart towards a crash loop.
    expect(healer.watchdog.status().containers.find((c) => c.id === app)).toMatchObject({ restartsInWindow: 0 });
    // The next failed probe decides again, and the backoff (10 s by default) holds the next attempt.
    await waitFor('backing off', () => healer.watchdog.status().containers.find((c) => c.id === app)?.state === 'backoff');
    expect(healer.watchdog.health()).toEqual({ ok: true });
    expect(events.count(app, 'restart')).toBe(0);
  }, 60_000);

  it('a container removed while healer restarts it: taken as gone (no restart_failed), forgotten, nothing else disturbed', async () => {
    const runId = newRunId();
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    const port = await freePort();
    // Takes 2 s to stop, so the restart is in flight when the container is removed.
    const slow = ['sh', '-c', `mkdir -p /www; echo ok > /www/health; httpd -p 127.0.0.1:${port} -h /www; trap "sleep 2; exit 0" TERM; while true; do sleep 0.2; done`];
    const app = await runContainer({ runId, name: 'doomed', labels: fastLabels(runId, `http://:${port}/health`, { 'healer.restart.timeout': '5s' }), cmd: slow });
    const otherPort = await freePort();
    const other = await runContainer({ runId, name: 'other', labels: fastLabels(runId, `http://:${otherPort}/health`), cmd: appCommand(otherPort) });
    const { healer, logs } = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId });
    suite.defer(() => healer.stop(5000));
    await waitFor('both healthy', () => [app, other].every((id) => healer.watchdog.watches.get(id)?.state.liveness.up === true));
    await execIn(app, ['rm', '/www/health']);
    await waitFor('restart under way', () => logs.some((l) => l.msg === 'restarting container'));
    await docker.getContainer(app).remove({ force: true, v: true });
    await waitFor('forgotten', () => !healer.watchdog.watches.has(app));
    await sleep(1000);
    const mine = logs.filter((l) => l.container === `doomed-${runId}`).map((l) => l.msg);
    expect(mine).toContain('container removed; no longer watched');
    // The engine's answer ("marked for removal", 404) says the container is gone: the end of its watch, no failure (review11).
    expect(mine.filter((m) => m === 'restart failed')).toEqual([]);
    expect(mine.filter((m) => m === 'restart skipped: the container is gone (removed)')).toHaveLength(1);
    expect(healer.watchdog.status().containers.map((c) => c.name)).toEqual([`other-${runId}`]);
    expect(healer.watchdog.watches.get(other)?.state.liveness.up).toBe(true);
    expect(events.count(other, 'restart')).toBe(0);
    expect(healer.watchdog.health()).toEqual({ ok: true });
    expect(logs.filter((l) => l.level >= 60)).toEqual([]);
  });
});
