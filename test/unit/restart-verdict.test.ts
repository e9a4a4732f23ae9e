import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { policyFromLabels } from '../../src/config/labels.ts';
import { toContainerInfo } from '../../src/docker/inspect.ts';
import { engineGaveUp, verdictAfterExit } from '../../src/docker/restart-policy.ts';
import type { ContainerInfo } from '../../src/docker/types.ts';
import type { Prober } from '../../src/probes/types.ts';
import { ContainerWatch, NO_OBSERVER } from '../../src/watchdog/container-watch.ts';
import { syntheticContainer } from '../helpers/fake-engine.ts';

// The engine's verdict on a crash of a container with a restart policy (review 25: a `docker kill -s HUP`
// switches Docker's policy off until the next start, so the crash after it stays down). Docker decides
// before it reports the exit: down and not restarting, read after the exit, is the engine leaving it
// down. Podman restarts after its `died` event: there only on-failure:N's count tells.

const recorded = (name: string, docker: boolean): ContainerInfo =>
  toContainerInfo(JSON.parse(readFileSync(new URL(`../fixtures/inspect/${name}.json`, import.meta.url), 'utf8')) as Docker.ContainerInspectInfo, undefined, docker);

describe('engineGaveUp: the engine leaves a crash down', () => {
  const exited = (policy: string, docker: boolean): ContainerInfo => ({ ...recorded('docker-on-failure-gave-up', docker), restartPolicy: policy, restartRetries: 0, restartCount: 0 });

  it.each(['always', 'unless-stopped', 'on-failure'])('Docker, %s: down and not restarting after the exit', (policy) => {
    expect(exited(policy, true)).toMatchObject({ decidesRestartAtExit: true, running: false, restarting: false });
    expect(engineGaveUp(exited(policy, true))).toBe(true);
    expect(engineGaveUp({ ...exited(policy, true), restarting: true })).toBe(false); // its restart delay
    expect(engineGaveUp({ ...exited(policy, true), running: true })).toBe(false);
    expect(verdictAfterExit(exited(policy, true))).toBe(true);
  });
  it('never for no policy (nothing to give up), nor where the engine restarts after reporting the exit (Podman)', () => {
    expect(engineGaveUp(exited('no', true))).toBe(false);
    expect(verdictAfterExit(exited('no', true))).toBe(false);
    expect(engineGaveUp(exited('always', false))).toBe(false);
    expect(verdictAfterExit(exited('always', false))).toBe(false);
    // on-failure:N's count still tells on both engines.
    expect(engineGaveUp(recorded('podman-on-failure-gave-up', false))).toBe(true);
    expect(verdictAfterExit(recorded('podman-on-failure-gave-up', false))).toBe(true);
  });
});

/** A watch whose actions are recorded, not carried out. */
function watchOf(info: ContainerInfo) {
  const result = policyFromLabels({ labels: info.labels, prefix: 'healer', containerName: 'app', rawDefaults: {}, imageHasHealthcheck: false });
  if (!result.ok) throw new Error(result.errors.join('; '));
  const acted: string[] = [];
  const never: Prober = { run: () => Promise.resolve({ ok: true, latencyMs: 1 }) };
  let now = 1_000_000;
  const w = new ContainerWatch(info, result.policy, {
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

describe('on_exit with restart: always on an engine that decides at the exit', () => {
  const running: ContainerInfo = { ...syntheticContainer(0, { 'healer.restart.on_exit': 'true' }), restartPolicy: 'always', decidesRestartAtExit: true, startedAt: 5_000, finishedAt: 0 };
  const crash = (at: number) => ({ type: 'stopped' as const, by: 'exit' as const, exitCode: 3, oom: false, at });

  it('waits for the verdict read after the crash: restarting is left to the engine, left down is started', () => {
    const { w, acted, tick } = watchOf(running);
    w.start();
    w.feed(crash(tick(100)));
    expect(acted).toEqual([]);
    w.info = { ...running, running: true, restarting: true, finishedAt: 9_000 };
    w.followRestartPolicy();
    expect(acted).toEqual([]);
    // Found exited later with no new die: Docker cancelled its restart for someone's stop or kill
    // (review 25c): the verdict on this exit was read already, and is not read again.
    w.info = { ...running, running: false, exitCode: 3, finishedAt: 9_000 };
    w.followRestartPolicy();
    expect(acted).toEqual([]);
    // The engine's restart failed: Docker sends a die for it, a new exit whose verdict is read afresh.
    w.feed(crash(tick(100)));
    w.info = { ...running, running: false, exitCode: 3, finishedAt: 9_200 };
    w.followRestartPolicy();
    expect(acted).toEqual(['start']);
  });

  it('a crash whose first read says left down is started', () => {
    const { w, acted, tick } = watchOf(running);
    w.start();
    w.feed(crash(tick(100)));
    w.info = { ...running, running: false, exitCode: 3, finishedAt: 9_000 };
    w.followRestartPolicy();
    expect(acted).toEqual(['start']);
  });

  it('never starts on the verdict an exit its events never confirmed (found by inspect only: maybe an operator stop)', () => {
    const { w, acted, tick } = watchOf(running);
    w.start();
    w.feed({ ...crash(tick(100)), unconfirmed: true });
    w.info = { ...running, running: false, exitCode: 3, finishedAt: 9_000 };
    w.followRestartPolicy();
    expect(acted).toEqual([]);
  });

  it('never takes a verdict on an exit before the last start seen (an inspect answered across a start)', () => {
    const { w, acted, tick } = watchOf(running);
    w.start();
    // Exit at engine time 9 000, then a start at 9 500 (an operator's, or healer's): the next crash is
    // the engine's to restart again, whatever inspect data from before that start says.
    w.exits.seen('start', 9_500);
    w.feed(crash(tick(100)));
    w.info = { ...running, running: false, exitCode: 3, finishedAt: 9_000 };
    w.followRestartPolicy();
    expect(acted).toEqual([]);
    // The verdict on this crash (exit after that start) is taken.
    w.info = { ...running, running: false, exitCode: 3, finishedAt: 12_000 };
    w.followRestartPolicy();
    expect(acted).toEqual(['start']);
  });
});
