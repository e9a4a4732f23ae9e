import { describe, expect, it } from 'vitest';
import { startEngineProxy } from '../helpers/engine-proxy.ts';
import { receiver } from '../helpers/receiver.ts';
import { freePort } from '../helpers/servers.ts';
import { appCommand, docker, engineSuite, execIn, fastLabels, newRunId, recordEvents, runContainer, sleep, startTestHealer, stopEngine, waitFor } from '../helpers/engine.ts';

// The engine, or only its event stream, goes away while healer runs: healer says so, acts on nothing
// it cannot see, keeps its state, reconnects, resynchronises, says so again, and heals again.
const suite = engineSuite();

async function withAlerts(runId: string, env: Record<string, string>) {
  const hook = await receiver();
  suite.defer(() => hook.close());
  const yaml = `alerts:\n  retries: 0\n  channels:\n    - name: hook\n      type: webhook\n      url: ${hook.url}\n`;
  const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, ...env }, yaml);
  suite.defer(() => h.healer.stop(5000));
  const alerts = (event: string) => hook.got.filter((r) => (r.body as { alert?: { event?: string } }).alert?.event === event);
  return { ...h, alerts };
}

describe('engine faults', () => {
  it('a broken event stream: no action meanwhile, then a resync that sees containers added, removed and restarted', async () => {
    const runId = newRunId();
    const proxy = await startEngineProxy();
    suite.defer(() => proxy.close());
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    const [keepPort, gonePort, crashyPort, latePort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const keep = await runContainer({ runId, name: 'keep', labels: fastLabels(runId, `http://:${keepPort}/health`), cmd: appCommand(keepPort) });
    const gone = await runContainer({ runId, name: 'gone', labels: fastLabels(runId, `http://:${gonePort}/health`), cmd: appCommand(gonePort) });
    const crashy = await runContainer({ runId, name: 'crashy', labels: fastLabels(runId, `http://:${crashyPort}/health`), cmd: appCommand(crashyPort), restartPolicy: 'always' });
    const { healer, logs, alerts } = await withAlerts(runId, { DOCKER_HOST: proxy.host });
    const wd = healer.watchdog;
    await waitFor('all three healthy', () => [keep, gone, crashy].every((id) => wd.watches.get(id)?.state.liveness.up === true));

    proxy.refuseEvents = true;
    expect(proxy.cutEvents()).toBe(1);
    await waitFor('healer knows', () => !wd.engineReachable);
    await waitFor('docker_unreachable alert', () => alerts('docker_unreachable').length === 1);

    // Meanwhile: one container breaks, one is added, one removed, one crashes and the engine restarts it.
    await execIn(keep, ['rm', '/www/health']);
    const late = await runContainer({ runId, name: 'late', labels: fastLabels(runId, `http://:${latePort}/health`), cmd: appCommand(latePort) });
    await docker.getContainer(gone).remove({ force: true, v: true });
    await execIn(crashy, ['kill', '1']);
    await waitFor('engine restarted crashy', async () => (await docker.getContainer(crashy).inspect()).RestartCount === 1);
    await sleep(1500); // keep's probe fails every 300 ms meanwhile: healer must not act on it blind
    expect(events.count(keep, 'restart')).toBe(0);
    expect(logs.filter((l) => l.msg === 'restarting container')).toEqual([]);
    expect(wd.watches.get(keep)?.counts.probes.liveness.error).toBeGreaterThan(0);
    expect(wd.health()).toEqual({ ok: false, reason: 'docker engine unreachable' });

    proxy.refuseEvents = false;
    await waitFor('reconnected', () => wd.engineReachable, 40_000);
    await waitFor('docker_reconnected alert', () => alerts('docker_reconnected').length === 1);
    expect(wd.watches.has(late)).toBe(true);
    expect(wd.watches.has(gone)).toBe(false);
    expect(wd.status().containers.find((c) => c.id === crashy)?.restartsInWindow).toBe(1);
    expect(wd.eventReconnects).toBeGreaterThanOrEqual(1);
    await waitFor('keep healed after the reconnect', () => events.count(keep, 'restart') === 1);
    await waitFor('keep recovered', () => wd.watches.get(keep)?.state.liveness.up === true);
    expect(alerts('docker_unreachable')).toHaveLength(1);
  }, 90_000);

  it('the engine stops and starts: unreachable reported, no action meanwhile, state kept, healing resumes', async () => {
    const runId = newRunId();
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    const port = await freePort();
    const app = await runContainer({ runId, name: 'app', labels: fastLabels(runId, `http://:${port}/health`), cmd: appCommand(port), restartPolicy: 'always' });
    const { healer, logs, alerts } = await withAlerts(runId, {});
    const wd = healer.watchdog;
    await waitFor('healthy', () => wd.watches.get(app)?.state.liveness.up === true);
    await execIn(app, ['rm', '/www/health']);
    await waitFor('healed once', () => wd.watches.get(app)?.counts.restarts.liveness === 1 && wd.watches.get(app)?.state.liveness.up === true);
    const before = wd.status().containers.find((c) => c.id === app);
    expect(before?.restartsInWindow).toBe(1);

    events.close(); // its stream ends with the engine
    const startEngine = await stopEngine();
    let started = false;
    suite.defer(async () => {
      if (!started) await startEngine();
    });
    await waitFor('healer knows', () => !wd.engineReachable);
    await waitFor('docker_unreachable alert', () => alerts('docker_unreachable').length === 1);
    await sleep(1500); // the app is down with the engine; its probe fails every 300 ms
    expect(logs.filter((l) => l.msg === 'restarting container')).toHaveLength(1); // only the one before
    expect(logs.filter((l) => l.msg === 'restart failed')).toEqual([]);

    await startEngine();
    started = true;
    await waitFor('reconnected', () => wd.engineReachable, 60_000);
    await waitFor('docker_reconnected alert', () => alerts('docker_reconnected').length === 1);
    // The engine brought the app back itself (restart policy always); healer kept its history.
    await waitFor('app healthy again', () => wd.watches.get(app)?.state.liveness.up === true, 30_000);
    expect(wd.status().containers.find((c) => c.id === app)?.restartsInWindow).toBeGreaterThanOrEqual(1);

    const after = await recordEvents(runId);
    suite.defer(() => after.close());
    await execIn(app, ['rm', '/www/health']);
    await waitFor('healed again', () => after.count(app, 'restart') === 1);
  }, 120_000);
});
