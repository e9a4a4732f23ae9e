import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { policyFromLabels } from '../../src/config/labels.ts';
import type { ContainerInfo } from '../../src/docker/types.ts';
import type { Prober } from '../../src/probes/types.ts';
import { ContainerWatch, NO_OBSERVER } from '../../src/watchdog/container-watch.ts';
import { ExitVerdict } from '../../src/watchdog/exit-verdict.ts';
import { takeInspect } from '../../src/watchdog/take-inspect.ts';
import { syntheticContainer } from '../helpers/fake-engine.ts';

// The engine's verdict on an exit is read once, from the first inspect data of an exit healer saw live
// (exit-verdict.ts): later data of the same exit, data of another exit, and exits not seen live never
// start a container whose restart policy is the engine's (review 25c).

const always: ContainerInfo = { ...syntheticContainer(0, { 'healer.restart.on_exit': 'true' }), restartPolicy: 'always', decidesRestartAtExit: true, startedAt: 5_000, finishedAt: 0 };
const leftDown = (finishedAt: number): ContainerInfo => ({ ...always, running: false, restarting: false, exitCode: 3, finishedAt });

describe('ExitVerdict', () => {
  it('reads the first data of the exit only', () => {
    const v = new ExitVerdict();
    v.seen('start', 5_000);
    v.live(10_000);
    expect(v.take({ ...always, running: true, restarting: true, finishedAt: 9_999 })).toBe(false);
    expect(v.take(leftDown(9_999))).toBe(false); // someone's stop during the restart delay
  });
  it('the same die fed twice (held back during an action, then read) is one exit', () => {
    const v = new ExitVerdict();
    v.seen('start', 5_000);
    v.live(10_000);
    expect(v.take({ ...always, running: true, restarting: true, finishedAt: 9_999 })).toBe(false);
    v.live(10_000);
    expect(v.take(leftDown(9_999))).toBe(false);
    v.live(20_000); // a new die (a failed restart): read afresh
    expect(v.take(leftDown(19_999))).toBe(true);
  });
  it('data read before the die leaves the verdict awaited', () => {
    const v = new ExitVerdict();
    v.live(60_000);
    expect(v.take({ ...always, running: true, restarting: false, finishedAt: 1_000 })).toBe(false);
    expect(v.take(leftDown(59_990))).toBe(true);
  });
  it('an exit later than the die seen is not this exit: never a start on it', () => {
    const v = new ExitVerdict();
    v.seen('start', 5_000);
    v.live(10_000);
    expect(v.take(leftDown(40_000))).toBe(false);
    expect(v.take(leftDown(10_000))).toBe(false); // and the wait is over
  });
  it('nothing is awaited for an exit not seen live', () => {
    const v = new ExitVerdict();
    expect(v.take(leftDown(10_000))).toBe(false);
    v.live(10_000);
    v.none();
    expect(v.take(leftDown(10_000))).toBe(false);
  });
});

function watchOf(info: ContainerInfo) {
  const result = policyFromLabels({ labels: info.labels, prefix: 'healer', containerName: 'app', rawDefaults: {}, imageHasHealthcheck: false });
  if (!result.ok) throw new Error(result.errors.join('; '));
  const acted: string[] = [];
  const notified: string[] = [];
  const never: Prober = { run: () => Promise.resolve({ ok: true, latencyMs: 1 }) };
  const clock = { now: () => 1_000_000, setTimeout: () => ({}), clearTimeout: () => undefined };
  const w = new ContainerWatch(info, result.policy, {
    probers: { http: never, tcp: never, exec: never },
    observer: NO_OBSERVER,
    clock,
    log: pino({ level: 'silent' }),
    effects: {
      act: (_w, kind) => (acted.push(kind), Promise.resolve()),
      notify: (_w, a) => void (a.type === 'notify' && notified.push(a.event)),
      context: () => ({ heldBy: undefined, paused: false }),
      changed: () => undefined,
    },
    route: (x) => ({ ok: true, target: { containerId: x.id, address: '127.0.0.1' } }),
    dryRun: false,
  });
  const deps = { clock, alerter: undefined, afterUnpause: { unpaused: () => undefined }, persist: () => undefined };
  return { w, acted, notified, deps };
}

describe('an exit found at a resync, of a container with a restart policy', () => {
  it('is alerted as died and left down (maybe someone stopped it while the stream was down)', () => {
    const { w, acted, notified, deps } = watchOf(always);
    w.start();
    takeInspect(w, leftDown(9_000), true, deps);
    expect(notified).toContain('died');
    expect(w.state.lifecycle).toBe('exited');
    // Nor by a later inspect (a rename, a network event).
    takeInspect(w, { ...leftDown(9_000), name: 'renamed' }, false, deps);
    expect(acted).toEqual([]);
  });
  it('without a policy, a crash code found is still started (unchanged)', () => {
    const { w, acted, deps } = watchOf({ ...always, restartPolicy: 'no' });
    w.start();
    takeInspect(w, { ...leftDown(9_000), restartPolicy: 'no' }, true, deps);
    expect(acted).toEqual(['start']);
  });
});
