import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { switchboard } from '../helpers/servers.ts';
import { docker, newRunId, recordEvents, runContainer, sleep, startTestHealer, waitFor, engineSuite, spawnHealer, type LogLine } from '../helpers/engine.ts';

// Crash loops, backoff, dependencies, the breaker and the state file, on the real engine.
let runId = '';
const suite = engineSuite();

async function setup() {
  runId = newRunId();
  const events = await recordEvents(runId);
  suite.defer(() => events.close());
  const start = async (env: Record<string, string> = {}) => {
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, ...env });
    suite.defer(() => h.stop());
    return h;
  };
  return { events, start };
}

/** A container that exits with code 3 at once, started again by healer (on_exit). */
const crasher = (extra: Record<string, string>) => ({
  'healer.enable': 'true',
  'healer.scope': runId,
  'healer.restart.on_exit': 'true',
  'healer.backoff.initial': '400ms',
  'healer.backoff.max': '10s',
  'healer.crashloop.window': '1m',
  ...extra,
});
const CRASH = ['sh', '-c', 'sleep 0.1; exit 3'];
const startTimes = (events: { events: { id: string; action: string; at: number }[] }, id: string) => events.events.filter((e) => e.id === id && e.action === 'start').map((e) => e.at);
const gapsOf = (times: number[]) => times.slice(1).map((t, i) => t - (times[i] ?? 0));
const logged = (logs: readonly LogLine[], msg: string) => logs.filter((l) => l.msg === msg);

describe('crash loops and backoff', () => {
  it('starts a crashing container again with growing gaps, flags the loop, and retries at max backoff', async () => {
    const { events, start } = await setup();
    const { logs, healer } = await start();
    const id = await runContainer({ runId, name: 'crash', labels: crasher({ 'healer.crashloop.restarts': '3' }), cmd: CRASH });
    await waitFor('5 starts', () => startTimes(events, id).length >= 5, 30_000);
    await waitFor('the next crash', () => healer.watchdog.status().containers[0]?.pending !== undefined);
    const status = healer.watchdog.status().containers[0];
    expect(status).toMatchObject({ name: `crash-${runId}`, crashLoop: 'open', restartsInWindow: 4, lastExit: { exitCode: 3, oom: false } });
    expect(Date.parse(status?.backoffUntil ?? '')).toBeGreaterThan(Date.now() + 5000); // at the 10 s maximum now

    // starts: its own, then healer's first at once, then 400, 800, 1600 ms apart at least (engine event times)
    const gaps = gapsOf(startTimes(events, id)).slice(1);
    expect(gaps[0]).toBeGreaterThanOrEqual(400 - 100);
    expect(gaps[1]).toBeGreaterThanOrEqual(800 - 100);
    expect(gaps[2]).toBeGreaterThanOrEqual(1600 - 100);
    expect(gaps[1]).toBeGreaterThan(gaps[0] ?? 0);
    expect(gaps[2]).toBeGreaterThan(gaps[1] ?? 0);
    const loop = logged(logs, 'crash loop');
    expect(loop).toHaveLength(1);
    expect(loop[0]?.reason).toBe('4 restarts within 60s (limit 3); retrying at the maximum backoff');
    expect(logged(logs, 'container died')[0]).toMatchObject({ exitCode: 3, oom: false });
  });

  it('gives up with crashloop.action=giveup', async () => {
    const { events, start } = await setup();
    const { logs } = await start();
    const id = await runContainer({ runId, name: 'giveup', labels: crasher({ 'healer.crashloop.restarts': '2', 'healer.crashloop.action': 'giveup', 'healer.backoff.initial': '200ms' }), cmd: CRASH });
    await waitFor('gave up', () => logged(logs, 'crash loop').length === 1, 20_000);
    const starts = startTimes(events, id).length;
    await sleep(2500); // well past any backoff it would have used
    expect(startTimes(events, id)).toHaveLength(starts);
    expect(starts).toBe(3); // its own start and 2 restarts
    expect(logged(logs, 'crash loop')[0]?.reason).toBe('2 restarts within 60s (limit 2); failing again; giving up: healer will not restart it again');
    expect((await docker.getContainer(id).inspect()).State.Running).toBe(false);
  });

  it('keeps the loop count and backoff across a SIGKILL of healer', async () => {
    const { events } = await setup();
    const stateDir = mkdtempSync(`${tmpdir()}/healer-kill-`);
    const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
    const env = { HEALER_DISCOVERY_SCOPE: runId, HEALER_STATE_PATH: `${stateDir}/state.json` };
    const run = () => spawnHealer(env, (fn) => suite.defer(fn));
    const first = run();
    await waitFor('the first healer is watching', () => first.lines.some((l) => l.msg === 'watching'));
    const id = await runContainer({ runId, name: 'durable', labels: crasher({ 'healer.crashloop.restarts': '3' }), cmd: CRASH });
    await waitFor('two restarts by the first healer', () => logged(first.lines, 'container started').length >= 2, 20_000);
    // The state file is written within a short gap after each change (not at the log line): wait for it to
    // hold both restarts, then kill healer without letting it write again.
    const savedRestarts = (): number => {
      try {
        const saved = JSON.parse(readFileSync(`${stateDir}/state.json`, 'utf8')) as { containers: Record<string, { budget: { restarts: number[] } }> };
        return saved.containers[id]?.budget.restarts.length ?? 0;
      } catch {
        return 0;
      }
    };
    await waitFor('two restarts in the state file', () => savedRestarts() >= 2, 5_000);
    first.child.kill('SIGKILL');
    expect(savedRestarts()).toBeGreaterThanOrEqual(2);

    const second = run();
    await waitFor('the loop is flagged by the second healer', () => logged(second.lines, 'crash loop').length === 1, 30_000);
    const watching = second.lines.find((l) => l.msg === 'watching container');
    expect(watching?.restartsInWindow).toBeGreaterThanOrEqual(2);
    // the 4th restart overall opened the loop: the second healer needed fewer than 4 of its own
    expect(logged(second.lines, 'container started').length).toBeLessThan(4);
    expect(logged(second.lines, 'crash loop')[0]?.reason).toBe('4 restarts within 60s (limit 3); retrying at the maximum backoff');
    await waitFor('the restart that opened the loop', () => startTimes(events, id).length >= 5);
    // The loop opens as that restart is done, and reaches the state file within the write gap after it.
    const loopSaved = (): boolean => {
      try {
        return (JSON.parse(readFileSync(`${stateDir}/state.json`, 'utf8')) as { containers: Record<string, { budget: { loop: string } }> }).containers[id]?.budget.loop === 'open';
      } catch {
        return false;
      }
    };
    await waitFor('the open loop in the state file', loopSaved, 5_000);
    second.child.kill('SIGKILL');
    const check = await new Promise<string>((resolve) => {
      const c = spawn(process.execPath, [cli, 'check'], { env: { ...process.env, HEALER_CONFIG: '', ...env } });
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.once('exit', () => resolve(out));
    });
    expect(check).toMatch(/history: {3}[45] restarts in the last 1m; crash loop open; backoff until /);
  });

  it('never starts an operator-stopped container, even with restart.on_exit', async () => {
    const { events, start } = await setup();
    const { logs } = await start();
    const id = await runContainer({ runId, name: 'opstop', labels: crasher({}), cmd: ['sh', '-c', 'trap "exit 7" TERM; while true; do sleep 0.1; done'] });
    await waitFor('watched', () => logs.some((l) => l.msg === 'watching container'));
    await docker.getContainer(id).stop({ t: 2 });
    await sleep(1500);
    expect(startTimes(events, id)).toHaveLength(1);
    expect(logged(logs, 'container stopped by an operator; it stays stopped')).toHaveLength(1);
  });
});

describe('dependencies, namespaces and the breaker', () => {
  const probed = (port: number, name: string, extra: Record<string, string> = {}) => ({
    'healer.enable': 'true',
    'healer.scope': runId,
    'healer.liveness': `http://127.0.0.1:${port}/${name}`,
    'healer.liveness.interval': '200ms',
    'healer.liveness.failures': '2',
    'healer.restart.timeout': '1s',
    'healer.backoff.initial': '300ms',
    ...extra,
  });
  const IDLE = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.1; done'];

  it('holds a dependent while its dependency is broken, and heals it after', async () => {
    const { events, start } = await setup();
    const sw = await switchboard();
    suite.defer(() => sw.close());
    const db = await runContainer({ runId, name: 'db', labels: probed(sw.port, 'db'), cmd: IDLE });
    const app = await runContainer({ runId, name: 'app', labels: probed(sw.port, 'app', { 'healer.depends_on': `db-${runId}` }), cmd: IDLE });
    const { logs, healer } = await start();
    await waitFor('both up', () => healer.watchdog.watches.get(app)?.state.liveness.up === true && healer.watchdog.watches.get(db)?.state.liveness.up === true);

    sw.set('db', false);
    await waitFor('db failing', () => healer.watchdog.watches.get(db)?.failing === true);
    sw.set('app', false);
    await waitFor('app held', () => logged(logs, 'restart held by a failing dependency').length > 0);
    expect(healer.watchdog.status().containers.find((c) => c.id === app)).toMatchObject({ heldBy: `db-${runId}`, pending: 'restart: 2 failed liveness probes in a row' });
    await sleep(1500);
    expect(events.count(app, 'restart')).toBe(0);
    expect(events.count(db, 'restart')).toBeGreaterThanOrEqual(1);
    expect(logged(logs, 'restart held by a failing dependency')).toHaveLength(1);
    expect(logged(logs, 'restart held by a failing dependency')[0]).toMatchObject({ container: `app-${runId}`, reason: `dependency db-${runId} is failing; not restarting until it recovers` });

    sw.set('db', true);
    await waitFor('app restarted after db recovered', () => events.count(app, 'restart') >= 1, 15_000);
    const dbRecovered = logs.findIndex((l) => l.msg === 'container recovered' && l.container === `db-${runId}`);
    const appRestart = logs.findIndex((l) => l.msg === 'restarting container' && l.container === `app-${runId}`);
    expect(dbRecovered).toBeGreaterThanOrEqual(0);
    expect(appRestart).toBeGreaterThan(dbRecovered);
  });

  it('restarts a container in X\'s network namespace after X', async () => {
    const { events, start } = await setup();
    const labels = { 'healer.enable': 'true', 'healer.scope': runId, 'healer.restart.timeout': '1s' };
    const owner = await runContainer({
      runId, name: 'owner', networkMode: 'none', cmd: ['sh', '-c', 'touch /tmp/ok; trap "exit 0" TERM; while true; do sleep 0.1; done'],
      labels: { ...labels, 'healer.liveness': 'exec:test -f /tmp/ok', 'healer.liveness.interval': '200ms', 'healer.liveness.failures': '2' },
    });
    const child = await runContainer({ runId, name: 'child', networkMode: `container:${owner}`, cmd: IDLE, labels });
    const { logs, healer } = await start();
    await waitFor('owner up', () => healer.watchdog.watches.get(owner)?.state.liveness.up === true);
    const { execIn } = await import('../helpers/engine.ts');
    await execIn(owner, ['rm', '/tmp/ok']);
    await waitFor('child restarted', () => events.count(child, 'restart') >= 1, 15_000);
    const ownerAt = events.events.find((e) => e.id === owner && e.action === 'restart')?.at ?? Infinity;
    const childAt = events.events.find((e) => e.id === child && e.action === 'restart')?.at ?? -Infinity;
    expect(childAt).toBeGreaterThanOrEqual(ownerAt);
    expect(logs.find((l) => l.msg === 'restarting container' && l.container === `child-${runId}`)?.reason).toBe(`shares the network namespace of owner-${runId}, which was restarted`);
  });

  it("restarts a container in X's network namespace after X's own restart policy brought it back (X not watched)", async () => {
    const { events, start } = await setup();
    // X crashes when told to; the engine's restart policy starts it again, in a new network namespace.
    const owner = await runContainer({
      runId, name: 'owner', networkMode: 'none', restartPolicy: 'always', labels: {},
      cmd: ['sh', '-c', 'trap "exit 0" TERM; while [ ! -f /tmp/crash ]; do sleep 0.1; done; rm /tmp/crash; exit 1'],
    });
    const child = await runContainer({ runId, name: 'child', networkMode: `container:${owner}`, cmd: IDLE, labels: { 'healer.enable': 'true', 'healer.scope': runId, 'healer.restart.timeout': '1s' } });
    const { logs, healer } = await start();
    await waitFor('child watched', () => healer.watchdog.watches.get(child)?.state.lifecycle === 'running');
    const { execIn } = await import('../helpers/engine.ts');
    await execIn(owner, ['touch', '/tmp/crash']);
    await waitFor('child restarted', () => events.count(child, 'restart') >= 1, 15_000);
    const ownerStart = events.events.filter((e) => e.id === owner && e.action === 'start').at(-1)?.at ?? Infinity;
    const childAt = events.events.find((e) => e.id === child && e.action === 'restart')?.at ?? -Infinity;
    expect(childAt).toBeGreaterThanOrEqual(ownerStart);
    expect(logs.find((l) => l.msg === 'restarting container' && l.container === `child-${runId}`)?.reason).toBe(`shares the network namespace of owner-${runId}, which was started again`);
    // Once: the child's own restart starts nothing further.
    await sleep(2_000);
    expect(events.count(child, 'restart')).toBe(1);
  });

  it('pauses all restarts while more than half of 4 containers fail at once, and resumes', async () => {
    const { events, start } = await setup();
    const sw = await switchboard();
    suite.defer(() => sw.close());
    const names = ['a', 'b', 'c', 'd'];
    // failures=3: containers that break together all show a failed probe before the first reaches its threshold
    const ids = await Promise.all(names.map((n) => runContainer({ runId, name: n, labels: probed(sw.port, n, { 'healer.liveness.failures': '3' }), cmd: IDLE })));
    const { logs, healer } = await start();
    await waitFor('all up', () => ids.every((id) => healer.watchdog.watches.get(id)?.state.liveness.up === true));

    for (const n of names) sw.set(n, false);
    await waitFor('paused', () => healer.watchdog.status().paused);
    await sleep(1500); // several times failures × interval
    expect(ids.map((id) => events.count(id, 'restart'))).toEqual([0, 0, 0, 0]);
    expect(logged(logs, 'restarts paused: too many containers failing at once')).toHaveLength(1);

    for (const n of names) sw.set(n, true);
    await waitFor('resumed', () => !healer.watchdog.paused);
    await sleep(600);
    expect(ids.map((id) => events.count(id, 'restart'))).toEqual([0, 0, 0, 0]);
    expect(logged(logs, 'restarts resumed')).toHaveLength(1);
  });
});
