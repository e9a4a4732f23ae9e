import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { policyFromLabels } from '../../src/config/labels.ts';
import { containerGone, EngineError } from '../../src/docker/engine-error.ts';
import { toContainerInfo } from '../../src/docker/inspect.ts';
import { engineGaveUp } from '../../src/docker/restart-policy.ts';
import type { ContainerInfo } from '../../src/docker/types.ts';
import type { Prober } from '../../src/probes/types.ts';
import { ContainerWatch, NO_OBSERVER } from '../../src/watchdog/container-watch.ts';
import { initialState, step } from '../../src/watchdog/state-machine.ts';
import { onExitNote, watchRules } from '../../src/watchdog/watch-rules.ts';
import { syntheticContainer } from '../helpers/fake-engine.ts';

// Review 11 #6 and #7: on_exit with `on-failure:N` (started once the engine has given up, never while it
// still restarts the container), with `--rm` (never: the engine removes it), and an action answered with
// "the container is gone" (not a failed restart). Inspect data recorded from Docker 29 and Podman 4.3.

const recorded = (name: string): ContainerInfo =>
  toContainerInfo(JSON.parse(readFileSync(new URL(`../fixtures/inspect/${name}.json`, import.meta.url), 'utf8')) as Docker.ContainerInspectInfo);

describe('inspect: on-failure:N and --rm, as Docker and Podman report them', () => {
  it.each(['docker', 'podman'])('%s: an on-failure:1 container the engine gave up on', (engine) => {
    const i = recorded(`${engine}-on-failure-gave-up`);
    expect(i).toMatchObject({ restartPolicy: 'on-failure', restartRetries: 1, restartCount: 1, running: false, restarting: false, autoRemove: false });
    expect(engineGaveUp(i)).toBe(true);
  });
  it.each(['docker', 'podman'])('%s: a --rm container', (engine) => {
    const i = recorded(`${engine}-autoremove`);
    expect(i).toMatchObject({ autoRemove: true, restartPolicy: 'no' });
    expect(engineGaveUp(i)).toBe(false);
  });
  it('the engine has not given up while retries are left, while it restarts it, or while it runs', () => {
    const gaveUp = recorded('docker-on-failure-gave-up');
    expect(engineGaveUp({ ...gaveUp, restartCount: 0 })).toBe(false);
    expect(engineGaveUp({ ...gaveUp, restarting: true })).toBe(false);
    expect(engineGaveUp({ ...gaveUp, running: true })).toBe(false);
    expect(engineGaveUp({ ...gaveUp, restartRetries: 0 })).toBe(false); // on-failure with no limit never gives up
    expect(engineGaveUp({ ...gaveUp, restartPolicy: 'always' })).toBe(false);
  });
});

describe('an action the engine refuses because the container is gone', () => {
  const err = (status: number, message: string) => new EngineError(`start abc failed with HTTP ${status}: ${message}`, status, undefined);
  const abc = { id: `abc${'0'.repeat(61)}`, name: 'abc' };
  it('is gone on 404, and on 409/500 "marked for removal" (Docker start/restart of a --rm container, docker rm -f)', () => {
    expect(containerGone(err(404, 'no container with name or ID "abc" found: no such container'), abc)).toBe(true);
    expect(containerGone(err(409, 'container is marked for removal and cannot be started'), abc)).toBe(true);
    expect(containerGone(err(500, 'Cannot restart container abc: container is marked for removal and cannot be started'), abc)).toBe(true);
    expect(containerGone(err(409, 'removal of container abc is already in progress'), abc)).toBe(true);
  });
  it('is a failure otherwise', () => {
    expect(containerGone(err(409, 'cannot start a paused container, try unpause instead'), abc)).toBe(false);
    expect(containerGone(err(500, 'driver failed programming external connectivity: port is already allocated'), abc)).toBe(false);
    expect(containerGone(new Error('connect ECONNREFUSED /var/run/docker.sock'), abc)).toBe(false);
  });
  it('ends the action without an alert or a retry', () => {
    const labels = { 'healer.restart.on_exit': 'true' };
    const policy = policy_(labels);
    const rules = watchRules(policy, syntheticContainer(0, labels), false);
    const crashed = step(initialState({ running: true, startedAt: 0 }), { type: 'stopped', by: 'exit', exitCode: 3, oom: false, at: 1000 }, rules);
    expect(crashed.actions.map((a) => a.type)).toEqual(['notify', 'start']);
    const out = step(crashed.state, { type: 'restart_done', ok: false, gone: true, error: 'no such container', at: 1100 }, rules);
    expect(out.actions).toEqual([]);
    expect(out.state).toMatchObject({ inFlight: false, pending: undefined, lifecycle: 'exited' });
    expect(out.state.budget.restarts).toEqual([]);
  });
});

function policy_(labels: Record<string, string>) {
  const result = policyFromLabels({ labels, prefix: 'healer', containerName: 'app', rawDefaults: {}, imageHasHealthcheck: false });
  if (!result.ok) throw new Error(result.errors.join('; '));
  return result.policy;
}

/** A watch of an exited-prone container whose actions are recorded, not carried out. */
function watchOf(info: ContainerInfo) {
  const policy = policy_(info.labels);
  const acted: string[] = [];
  const never: Prober = { run: () => Promise.resolve({ ok: true, latencyMs: 1 }) };
  let now = 1_000_000;
  const w = new ContainerWatch(info, policy, {
    probers: { http: never, tcp: never, exec: never },
    observer: NO_OBSERVER,
    clock: { now: () => now, setTimeout: () => ({}), clearTimeout: () => undefined },
    log: pino({ level: 'silent' }),
    effects: {
      act: (_w, kind) => (acted.push(kind), Promise.resolve()),
      notify: () => undefined,
      context: () => ({ heldBy: undefined, paused: false }),
      changed: () => undefined,
    },
    route: (x) => ({ ok: true, target: { containerId: x.id, address: '127.0.0.1' } }),
    dryRun: false,
  });
  return { w, acted, tick: (ms: number) => (now += ms) };
}

describe('on_exit with on-failure:N', () => {
  const labels = { 'healer.restart.on_exit': 'true' };
  const running: ContainerInfo = { ...syntheticContainer(0, labels), restartPolicy: 'on-failure', restartRetries: 2, restartCount: 0 };

  it('does not start the container at its crash (the engine restarts it), but once inspect says the engine gave up', () => {
    const { w, acted, tick } = watchOf(running);
    w.start();
    w.feed({ type: 'stopped', by: 'exit', exitCode: 3, oom: false, at: tick(100) });
    expect(acted).toEqual([]);
    // Read after the crash: the engine is restarting it (retries left): nothing.
    w.info = { ...running, running: false, restarting: true, restartCount: 1 };
    w.followRestartPolicy();
    expect(acted).toEqual([]);
    // The engine restarts it and it crashes again (each exit's verdict is read once, after its die:
    // exit-verdict.ts); its retries ran out: it stays down, and healer starts it.
    w.feed({ type: 'started', at: tick(100), counted: true });
    w.feed({ type: 'stopped', by: 'exit', exitCode: 3, oom: false, at: tick(100) });
    expect(acted).toEqual([]);
    w.info = { ...running, running: false, restartCount: 2, exitCode: 3 };
    w.followRestartPolicy();
    expect(acted).toEqual(['start']);
  });

  it('reads the next crash afresh: a give-up read before healer started it is not carried over', () => {
    const { w, acted, tick } = watchOf(running);
    w.start();
    w.feed({ type: 'stopped', by: 'exit', exitCode: 3, oom: false, at: tick(100) });
    w.info = { ...running, running: false, restartCount: 2, exitCode: 3 };
    w.followRestartPolicy();
    expect(acted).toEqual(['start']);
    w.feed({ type: 'restart_done', ok: true, at: tick(100) });
    // healer's start reset the engine's count: the next crash is the engine's to restart again, even
    // though the last inspect data (taken before the start) still says it had given up.
    w.feed({ type: 'stopped', by: 'exit', exitCode: 3, oom: false, at: tick(60_000) });
    expect(acted).toEqual(['start']);
  });

  it('is said in the log and by healer check; --rm says on_exit does not apply', () => {
    expect(onExitNote(policy_(labels), running)).toMatch(/once its restart policy on-failure:2 has given up/);
    const rm = { ...syntheticContainer(0, labels), autoRemove: true };
    expect(onExitNote(policy_(labels), rm)).toMatch(/does not apply: the container was started with --rm/);
    expect(watchRules(policy_(labels), rm, false).restartOnExit).toBe(false);
    expect(onExitNote(policy_({}), rm)).toBeUndefined();
  });
});
