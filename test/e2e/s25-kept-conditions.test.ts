import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { appCommand, docker, engineSuite, execIn, fastLabels, newRunId, recordEvents, runContainer, sleep, spawnHealer, waitFor } from '../helpers/engine.ts';
import { receiver } from '../helpers/receiver.ts';
import { freePort, switchboard } from '../helpers/servers.ts';

// Session 25: conditions kept open across healer's own restarts, on the real engine with the healer
// process SIGKILLed and started again (as restarts.test.ts does).
const suite = engineSuite();

interface AmPost {
  labels: Record<string, string>;
  startsAt: string;
  endsAt?: string;
}

/** The Alertmanager posts (POST /api/v2/alerts bodies) a receiver got after `from`, of one alert name. */
const posts = (got: readonly { path: string; body: unknown; at: number }[], name: string, from = 0): (AmPost & { at: number })[] =>
  got.filter((g) => g.at >= from && g.path.endsWith('/api/v2/alerts')).flatMap((g) => (g.body as AmPost[]).filter((a) => a.labels.alertname === name).map((a) => ({ ...a, at: g.at })));

describe('kept conditions across a SIGKILL of healer', () => {
  it('a kept crash loop is re-told to Alertmanager as firing since the loop began, not since the new healer', async () => {
    const runId = newRunId();
    const stateDir = mkdtempSync(`${tmpdir()}/healer-s25-`);
    suite.defer(() => rmSync(stateDir, { recursive: true, force: true }));
    const statePath = `${stateDir}/state.json`;
    // A stand-in Alertmanager: records what healer posts, as Alertmanager would receive it.
    const r = await receiver();
    suite.defer(() => r.close());
    const cfg = `${stateDir}/watchdog.yml`;
    writeFileSync(cfg, `alerts:\n  retries: 1\n  timeout: 1s\n  channels:\n    - name: am\n      type: alertmanager\n      url: http://127.0.0.1:${r.port}\n`);
    const env = { HEALER_DISCOVERY_SCOPE: runId, HEALER_STATE_PATH: statePath, HEALER_CONFIG: cfg };
    const first = spawnHealer(env, (fn) => suite.defer(fn));
    await waitFor('the first healer is watching', () => first.lines.some((l) => l.msg === 'watching'), 20_000);
    const labels = {
      'healer.enable': 'true',
      'healer.scope': runId,
      'healer.restart.on_exit': 'true',
      'healer.backoff.initial': '400ms',
      'healer.backoff.max': '20s',
      'healer.crashloop.window': '5m',
      'healer.crashloop.restarts': '1',
    };
    const id = await runContainer({ runId, name: 'loop', labels, cmd: ['sh', '-c', 'sleep 0.1; exit 3'] });
    const fired = await waitFor('HealerCrashLoop fired by the first healer', () => posts(r.got, 'HealerCrashLoop')[0], 30_000);
    // The loop's alert time reaches the state file within its write gap: kill only once it holds it.
    const savedLoop = (): number | undefined => {
      try {
        return (JSON.parse(readFileSync(statePath, 'utf8')) as { containers: Record<string, { alerts?: { crashloop?: number } }> }).containers[id]?.alerts?.crashloop;
      } catch {
        return undefined;
      }
    };
    await waitFor('the open loop, with its time, in the state file', () => savedLoop() !== undefined, 5_000);
    first.child.kill('SIGKILL');
    await first.exited;
    await sleep(3_000); // the healer's downtime: the loop is that much older than the next healer
    const restartedAt = Date.now();
    const second = spawnHealer(env, (fn) => suite.defer(fn));
    // Re-told as the container is found down after its crash, or as it crashes again (at most backoff.max).
    const again = await waitFor('HealerCrashLoop re-told by the second healer', () => posts(r.got, 'HealerCrashLoop', restartedAt).find((a) => a.endsAt === undefined), 40_000);
    expect(Date.parse(again.startsAt)).toBeLessThan(restartedAt);
    expect(Math.abs(Date.parse(again.startsAt) - Date.parse(fired.startsAt))).toBeLessThan(1_000);
    second.child.kill('SIGTERM');
    await second.exited;
  }, 120_000);

  it('the breaker kept open: the next healer restarts none of the containers still failing together, and sends resumed when they recover', async () => {
    const runId = newRunId();
    const stateDir = mkdtempSync(`${tmpdir()}/healer-s25-`);
    suite.defer(() => rmSync(stateDir, { recursive: true, force: true }));
    const statePath = `${stateDir}/state.json`;
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    const hook = await receiver();
    suite.defer(() => hook.close());
    const cfg = `${stateDir}/watchdog.yml`;
    writeFileSync(cfg, `alerts:\n  retries: 1\n  timeout: 1s\n  channels:\n    - name: hook\n      type: webhook\n      url: ${hook.url}\n`);
    const env = { HEALER_DISCOVERY_SCOPE: runId, HEALER_STATE_PATH: statePath, HEALER_CONFIG: cfg };
    const sw = await switchboard();
    suite.defer(() => sw.close());
    const probed = (name: string) => ({
      'healer.enable': 'true',
      'healer.scope': runId,
      'healer.liveness': `http://127.0.0.1:${sw.port}/${name}`,
      'healer.liveness.interval': '200ms',
      'healer.liveness.failures': '3',
      'healer.restart.timeout': '1s',
    });
    const names = ['a', 'b', 'c', 'd'];
    const ids = await Promise.all(names.map((n) => runContainer({ runId, name: `br-${n}`, labels: probed(n), cmd: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.1; done'] })));
    const first = spawnHealer(env, (fn) => suite.defer(fn));
    await waitFor('4 watched', () => first.lines.filter((l) => l.msg === 'watching container').length === 4, 20_000);
    await sleep(1_000);
    for (const n of names) sw.set(n, false);
    await waitFor('paused', () => first.lines.some((l) => l.msg === 'restarts paused: too many containers failing at once'), 20_000);
    const savedBreaker = (): unknown => {
      try {
        return (JSON.parse(readFileSync(statePath, 'utf8')) as { breaker?: unknown }).breaker;
      } catch {
        return undefined;
      }
    };
    await waitFor('the open breaker in the state file', () => savedBreaker() !== undefined, 5_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const hooks = (event: string, from: number) => hook.got.filter((g) => g.at >= from && (g.body as { alert: { event: string } }).alert.event === event);
    const restartedAt = Date.now();
    const second = spawnHealer(env, (fn) => suite.defer(fn));
    await waitFor('the second healer is watching', () => second.lines.some((l) => l.msg === 'watching'), 20_000);
    await sleep(3_000); // many times failures × interval: a closed breaker would have restarted them all
    expect(ids.map((id) => events.count(id, 'restart'))).toEqual([0, 0, 0, 0]);
    expect(second.lines.filter((l) => l.msg === 'restarts still paused: too many containers failing at once, as before healer restarted')).toHaveLength(1);
    expect(hooks('paused', restartedAt)).toEqual([]); // the webhook was told already
    for (const n of names) sw.set(n, true);
    await waitFor('resumed sent by the second healer', () => hooks('resumed', restartedAt).length > 0, 45_000);
    expect(ids.map((id) => events.count(id, 'restart'))).toEqual([0, 0, 0, 0]);
    await waitFor('the closed breaker in the state file', () => savedBreaker() === undefined, 5_000);
    second.child.kill('SIGTERM');
    await second.exited;
  }, 120_000);

  it("an operator's stop the killed healer had not ended yet (within its 5 s) is ended by the next: no recovered when it is started again", async () => {
    const runId = newRunId();
    const stateDir = mkdtempSync(`${tmpdir()}/healer-s25-`);
    suite.defer(() => rmSync(stateDir, { recursive: true, force: true }));
    const statePath = `${stateDir}/state.json`;
    const hook = await receiver();
    suite.defer(() => hook.close());
    const cfg = `${stateDir}/watchdog.yml`;
    writeFileSync(cfg, `alerts:\n  retries: 1\n  timeout: 1s\n  channels:\n    - name: hook\n      type: webhook\n      url: ${hook.url}\n`);
    const env = { HEALER_DISCOVERY_SCOPE: runId, HEALER_STATE_PATH: statePath, HEALER_CONFIG: cfg };
    const port = await freePort();
    const id = await runContainer({ runId, name: 'st', labels: fastLabels(runId, `http://:${port}/health`, { 'healer.action': 'notify' }), cmd: appCommand(port) });
    const hooks = (event: string, from = 0) => hook.got.filter((g) => g.at >= from && (g.body as { alert: { event: string } }).alert.event === event);
    const first = spawnHealer(env, (fn) => suite.defer(fn));
    await waitFor('watched', () => first.lines.some((l) => l.msg === 'watching container'), 20_000);
    await execIn(id, ['rm', '/www/health']);
    await waitFor('unhealthy', () => hooks('unhealthy').length === 1, 30_000);
    const saved = (): { lifecycle?: string; alerts?: unknown } | undefined => {
      try {
        return (JSON.parse(readFileSync(statePath, 'utf8')) as { containers: Record<string, { lifecycle?: string; alerts?: unknown }> }).containers[id];
      } catch {
        return undefined;
      }
    };
    await docker.getContainer(id).stop({ t: 5 });
    // Killed once the file holds the stop, within the 5 s after which it would have ended the alert itself.
    await waitFor('the stop in the state file, its alert still open', () => saved()?.lifecycle === 'stopped' && saved()?.alerts !== undefined, 4_000);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(first.lines.filter((l) => l.msg === 'container stayed stopped after an operator stop: its open alerts end')).toEqual([]);
    const restartedAt = Date.now();
    const second = spawnHealer(env, (fn) => suite.defer(fn));
    await waitFor('watched by the second healer', () => second.lines.some((l) => l.msg === 'watching container'), 20_000);
    // The operator starts it again; it passes (its command writes the health file anew).
    await docker.getContainer(id).start();
    await waitFor('its probes pass', async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.ok === true, 10_000);
    await sleep(3_000); // many probe intervals: a kept unhealthy would have been recovered by now
    expect(hooks('recovered', restartedAt)).toEqual([]);
    expect(hooks('unhealthy', restartedAt)).toEqual([]);
    second.child.kill('SIGTERM');
    await second.exited;
  }, 120_000);
});
