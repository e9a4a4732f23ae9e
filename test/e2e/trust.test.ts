import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { startEngineProxy } from '../helpers/engine-proxy.ts';
import { appCommand, docker, engineSuite, execIn, fastLabels, newRunId, recordEvents, runContainer, sleep, spawnHealer, startTestHealer, waitFor, type LogLine } from '../helpers/engine.ts';

// Issue 13: what an SRE does to containers on a host healer watches, on the real engine. Each case is a
// defect found by reading the code paths or by the model test (test/model), kept as a regression.
let runId = '';
const suite = engineSuite();

async function setup(env: Record<string, string> = {}) {
  runId = newRunId();
  const events = await recordEvents(runId);
  suite.defer(() => events.close());
  const start = async (more: Record<string, string> = {}) => {
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, ...env, ...more });
    suite.defer(() => h.stop());
    return h;
  };
  return { events, start };
}

/** A container healer starts again when it crashes (on_exit), with short backoff. */
const onExit = (extra: Record<string, string> = {}) => ({
  'healer.enable': 'true',
  'healer.scope': runId,
  'healer.restart.on_exit': 'true',
  'healer.backoff.initial': '400ms',
  'healer.backoff.max': '2s',
  'healer.crashloop.window': '1m',
  ...extra,
});
const starts = (events: { count(id: string, action: string): number }, id: string) => events.count(id, 'start');

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('trust: what operators and applications do, and what healer does about it', () => {
  it('keeps running with a container labelled healer.liveness.interval=0s: a label error for it, the others still healed', async () => {
    runId = newRunId();
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    await runContainer({ runId, name: 'zero', labels: fastLabels(runId, 'tcp://127.0.0.1:1', { 'healer.liveness.interval': '0s' }), cmd: ['sleep', '600'] });
    const crashing = await runContainer({ runId, name: 'crashing', labels: onExit(), cmd: ['sh', '-c', 'sleep 4; exit 3'] });
    const { lines, exited } = spawnHealer({ HEALER_DISCOVERY_SCOPE: runId, HEALER_STATE_PATH: `${mkdtempSync(`${tmpdir()}/healer-state-`)}/s.json` }, (fn) => suite.defer(fn));
    let exitCode: number | null | undefined;
    void exited.then((c) => (exitCode = c));
    await waitFor('healer to watch', () => lines.some((l) => l.msg === 'watching'));
    await sleep(3000);
    expect(exitCode, `healer exited: ${JSON.stringify(lines.filter((l) => l.level >= 50).slice(-2))}`).toBeUndefined();
    await waitFor('the crashing container started again by healer', () => starts(events, crashing) >= 2, 15_000);
    const problem = lines.find((l) => l.level >= 50 && l.container === `zero-${runId}`);
    expect(problem?.msg).toMatch(/healer\.liveness\.interval/);
  });

  it('starts an instantly crashing container (exit 3 at once) with on_exit, backing off and counting', async () => {
    const { events, start } = await setup();
    const { healer } = await start();
    const id = await runContainer({ runId, name: 'instant', labels: onExit(), cmd: ['sh', '-c', 'exit 3'] });
    await waitFor('three starts by healer after its own', () => starts(events, id) >= 4, 20_000);
    const status = healer.watchdog.status().containers.find((c) => c.id === id);
    expect(status?.restartsInWindow).toBeGreaterThanOrEqual(2);
    expect(status?.lastExit?.exitCode).toBe(3);
  });

  it('starts, at start-up, an on_exit container that crashed just before healer started', async () => {
    const { events, start } = await setup();
    const id = await runContainer({ runId, name: 'early', labels: onExit(), cmd: ['sh', '-c', 'sleep 0.3; exit 3'] });
    await waitFor('the crash', async () => !(await docker.getContainer(id).inspect()).State.Running);
    await start();
    await waitFor('healer to start it', () => starts(events, id) >= 2, 10_000);
  });

  it('takes a crash after `docker kill -s HUP` (a reload) for a crash: a died alert and an on_exit start', async () => {
    const { events, start } = await setup();
    const { logs } = await start();
    const id = await runContainer({
      runId,
      name: 'reload',
      labels: onExit(),
      cmd: ['sh', '-c', 'trap "echo reloaded" HUP; while [ ! -f /tmp/crash ]; do sleep 0.1; done; exit 3'],
    });
    await waitFor('healer to watch it', () => logs.some((l) => l.msg === 'watching container' && l.container === `reload-${runId}`));
    await docker.getContainer(id).kill({ signal: 'HUP' });
    await sleep(500);
    await execIn(id, ['touch', '/tmp/crash']);
    await waitFor('the died alert', () => logs.some((l: LogLine) => l.msg === 'container died' && l.container === `reload-${runId}`), 10_000);
    await waitFor('healer to start it', () => starts(events, id) >= 2, 10_000);
  });

  it('never restarts a paused container, even paused for longer than failures × interval', async () => {
    const { events, start } = await setup();
    const { logs } = await start();
    const port = await freePort();
    const id = await runContainer({ runId, name: 'paused', labels: fastLabels(runId, `http://127.0.0.1:${port}/health`), cmd: appCommand(port) });
    await waitFor('healthy', () => logs.some((l) => l.container === `paused-${runId}` && l.msg === 'watching container'));
    await sleep(1500);
    await docker.getContainer(id).pause();
    await sleep(5000); // 2 failures × 300 ms, with 1 s probe timeouts, several times over
    expect(events.count(id, 'kill'), 'healer acted on the paused container').toBe(0);
    await docker.getContainer(id).unpause();
    await sleep(2000);
    expect(events.count(id, 'restart')).toBe(0);
    expect(events.count(id, 'kill')).toBe(0);
  });

  it('retries the restart of a HEALTHCHECK container when the engine refused the first one', async () => {
    const proxy = await startEngineProxy();
    suite.defer(() => proxy.close());
    const { events, start } = await setup({ DOCKER_HOST: proxy.host });
    const { logs } = await start();
    const id = await runContainer({
      runId,
      name: 'hc',
      labels: { 'healer.enable': 'true', 'healer.scope': runId, 'healer.restart.timeout': '1s', 'healer.backoff.initial': '500ms', 'healer.backoff.max': '2s' },
      cmd: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'],
      healthcheck: { test: ['CMD-SHELL', 'test ! -f /tmp/bad'], intervalMs: 500, retries: 1 },
    });
    await waitFor('healthy', async () => (await docker.getContainer(id).inspect()).State.Health?.Status === 'healthy', 15_000);
    proxy.refuseRestarts = 1;
    await execIn(id, ['touch', '/tmp/bad']);
    await waitFor('the refused restart', () => logs.some((l) => l.msg === 'restart failed' && l.container === `hc-${runId}`), 15_000);
    await waitFor('a restart retried and done', () => events.count(id, 'restart') >= 1, 20_000);
  });
});
