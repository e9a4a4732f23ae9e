import { execFile as execFileCb } from 'node:child_process';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { startEngineProxy } from '../helpers/engine-proxy.ts';
import { engineSuite, newRunId, sleep, startTestHealer, waitFor } from '../helpers/engine.ts';

// Podman: a `die` is held until the `cleanup` events tell a stop (two) from an exit (one). An operator
// stops an app that exits 1 on SIGTERM; its cleanups are slow to come (a loaded host), and the event
// stream is lost before they do (a stall reconnect drops the stream the same way: EventStream's flush on
// any reconnect). Released by its code, the held die read as a crash, and with restart.on_exit healer
// started the container the operator had stopped.
const suite = engineSuite();
const execFile = promisify(execFileCb);
const podman = async (...args: string[]): Promise<string> => (await execFile('podman', args, { timeout: 60_000 })).stdout.trim();
const SOCK = process.env.HEALER_PODMAN_SOCK ?? '/tmp/healer-podman/podman.sock';

describe('s25: a Podman stop whose die is held when the event stream is lost', () => {
  it('is not taken for a crash: the container an operator stopped stays stopped, and that is said', async () => {
    const runId = newRunId();
    const label = `healer-test-s25=${runId}`;
    suite.defer(async () => {
      const ids = (await podman('ps', '-aq', '--filter', `label=${label}`)).split('\n').filter((x) => x !== '');
      if (ids.length > 0) await podman('rm', '-f', '-t', '0', ...ids).catch(() => undefined);
    });
    const proxy = await startEngineProxy(SOCK);
    suite.defer(() => proxy.close());
    const app = await podman('run', '-d', '--name', `app-${runId}`, '--network', 'host', '--ulimit', 'nofile=4096:4096', '--ulimit', 'nproc=4096:4096',
      ...Object.entries({ 'healer-test-s25': runId, 'healer.enable': 'true', 'healer.scope': runId, 'healer.restart.on_exit': 'true', 'healer.restart.timeout': '1s' }).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
      'healer-test-busybox:latest', 'sh', '-c', 'trap "exit 1" TERM; while true; do sleep 0.2; done');
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, DOCKER_HOST: proxy.host }, undefined, { ids: [], hostname: 'test' });
    suite.defer(() => h.stop());
    const wd = h.healer.watchdog;
    await waitFor('app watched and running', () => wd.watches.get(app)?.state.lifecycle === 'running');

    // app's cleanups come 4.6 s late (within the 5 s its die is held for them).
    proxy.delayEventsWith = { text: `"status":"cleanup","id":"${app}"`, ms: 4_600 };
    await new Docker({ socketPath: SOCK }).getContainer(app).stop({ t: 5 });
    // (An event may come in two chunks: looked for in what had passed by each chunk.)
    const dieMark = `"status":"die","id":"${app}"`;
    await waitFor('the die passed to healer', () => proxy.passedEvents.map((e) => e.text).join('').includes(dieMark), 10_000);
    await sleep(300);
    expect(proxy.cutEvents()).toBe(1);
    await waitFor('the stream reopened', () => wd.status().engineReachable && h.logs.some((l) => l.msg === 'docker engine reconnected; resynchronised'), 10_000);

    await sleep(8_000);
    const state = JSON.parse(await podman('inspect', '--format', '{{json .State}}', app)) as { Running: boolean; ExitCode: number };
    const w = wd.watches.get(app);
    expect({ running: state.Running, exitCode: state.ExitCode, startedByHealer: w?.counts.restarts.exit, lifecycle: w?.state.lifecycle }).toEqual({
      running: false,
      exitCode: 1,
      startedByHealer: 0,
      lifecycle: 'stopped',
    });
    // Said: a crash at that moment would be left stopped too.
    expect(h.logs.filter((l) => l.msg.startsWith('a container exited just as the event stream was lost')).map((l) => [l.level, l.container, l.exitCode])).toEqual([[40, `app-${runId}`, 1]]);
  }, 90_000);
});
