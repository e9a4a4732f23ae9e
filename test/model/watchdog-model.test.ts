import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { KINDS, World, type Kind } from './harness.ts';
import type { AppMode, SimContainer } from './sim-engine.ts';

// A randomized model test of the whole watchdog (issue 13): the real Watchdog, state machine and state
// file, driven through random interleavings of operator actions, application behaviour, engine faults,
// healer restarts and time, with the invariants of World.check() after every step. A fixed seed and a
// bounded number of runs in CI; FUZZ_SEED=<n> and FUZZ_RUNS=<factor> explore further; FUZZ_SEED with
// FUZZ_PATH=<path> (printed with a counterexample as `path`) replays one failing case at once.

const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const RUNS = Math.max(1, Math.round(40 * Number(process.env.FUZZ_RUNS ?? 1)));
const NAMES = ['a', 'b'] as const;
/** For exploring past a known defect: MODEL_WITHOUT=<regex> leaves out the steps whose text matches. */
const WITHOUT = process.env.MODEL_WITHOUT ? new RegExp(process.env.MODEL_WITHOUT) : undefined;

type Cmd = fc.AsyncCommand<object, World>;

/** The container named `name` now (undefined: none, and the command does nothing). */
const pick = (w: World, name: string): SimContainer | undefined => w.engine.byName(name);

/** A command: a readable line for the shrunk sequence, and what it does to the world. */
function cmd(text: string, fn: (w: World) => void | Promise<void>): Cmd {
  if (WITHOUT?.test(text)) return { check: () => true, run: () => Promise.resolve(), toString: () => '(left out)' };
  return {
    check: () => true,
    run: async (_m, w) => {
      w.log.push(text);
      await fn(w);
      await w.settle();
      w.check();
    },
    toString: () => text,
  };
}

/** Operator and application steps on one container, also usable while the event stream is cut. */
const containerOps = (name: string): fc.Arbitrary<{ text: string; fn: (w: World) => void }> =>
  fc.oneof(
    { weight: 3, arbitrary: running(name) },
    // `docker stop` of a container that is not running changes nothing (the engine answers 304, no event).
    fc.constant({ text: `docker stop ${name}`, fn: (w: World) => op(w, name, (c) => void (c.running ? (w.engine.stopNow(c), (c.operatorStopped = true)) : undefined)) }),
    fc.constantFrom('HUP', 'KILL', 'TERM', 'HUP', 'HUP').map((sig) => ({
      text: `docker kill -s ${sig} ${name}`,
      fn: (w: World) =>
        op(w, name, (c) => {
          if (c.restartPolicy !== 'no' && sig !== 'HUP') return;
          const was = c.running;
          w.engine.kill(c, sig);
          if (was && !c.running) c.operatorStopped = true;
        }),
    })),
    fc.constant({ text: `docker start ${name}`, fn: (w: World) => op(w, name, (c) => void (c.running ? undefined : (w.engine.startNow(c), w.mark(c)))) }),
    fc.constant({ text: `docker restart ${name}`, fn: (w: World) => op(w, name, (c) => void (c.paused ? undefined : (w.engine.restartNow(c), w.mark(c)))) }),
    fc.constant({ text: `docker pause ${name}`, fn: (w: World) => op(w, name, (c) => w.engine.pause(c)) }),
    fc.constant({ text: `docker unpause ${name}`, fn: (w: World) => op(w, name, (c) => (w.engine.unpause(c), w.mark(c))) }),
    fc.constant({ text: `docker rm -f ${name}`, fn: (w: World) => op(w, name, (c) => w.engine.remove(c)) }),
    fc.constant({
      text: `docker compose up -d (re-creates ${name})`,
      fn: (w: World) =>
        op(w, name, (c) => {
          const kind = w.kinds.get(c.id) ?? 'live';
          w.engine.stopNow(c);
          w.engine.remove(c);
          w.run(name, kind, 'ok');
        }),
    }),
    fc.constantFrom<AppMode>('ok', 'hang', 'flap', 'crashloop').map((app) => ({
      text: `app ${name}: ${app}`,
      fn: (w: World) => op(w, name, (c) => (w.engine.setApp(c, app), w.mark(c))),
    })),
    fc.constant({ text: `app ${name}: crashes (exit 3)`, fn: (w: World) => op(w, name, (c) => w.engine.crash(c, 3)) }),
    fc.constant({ text: `app ${name}: crashes (exit 3)`, fn: (w: World) => op(w, name, (c) => w.engine.crash(c, 3)) }),
  );

/** `docker run` of a container of some kind (when the name is free). */
const running = (name: string): fc.Arbitrary<{ text: string; fn: (w: World) => void }> =>
  fc.record({ kind: fc.constantFrom<Kind>(...KINDS, 'onexit', 'live'), app: fc.constantFrom<AppMode>('ok', 'ok', 'hang', 'flap', 'crashloop') }).map(({ kind, app }) => ({
    text: `docker run ${name} (${kind}, app ${app})`,
    fn: (w: World) => void (pick(w, name) ? undefined : w.run(name, kind, app)),
    toString: () => `docker run ${name} (${kind}, app ${app})`,
  }));

function op(w: World, name: string, fn: (c: SimContainer) => void): void {
  const c = pick(w, name);
  if (c) fn(c);
}

const commands: fc.Arbitrary<Cmd>[] = [
  fc.constantFrom(...NAMES).chain(containerOps).map(({ text, fn }) => cmd(text, fn)),
  fc.constantFrom(...NAMES).chain(containerOps).map(({ text, fn }) => cmd(text, fn)),
  fc.integer({ min: 1, max: 40 }).map((s) => cmd(`time passes: ${s}s`, (w) => w.advance(s * 1000))),
  // Long enough for backoff.reset (60 s): what was learnt about a crash loop must be forgotten.
  fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constant(90)).map((s) => cmd(`time passes: ${s}s`, (w) => w.advance(s * 1000))),
  fc.constantFrom(...NAMES).chain((n) => fc.option(containerOps(n), { nil: undefined })).map((during) =>
    cmd(`engine: event stream cut${during ? `; meanwhile ${during.text}` : ''}; reconnect`, (w) => w.cut(() => during?.fn(w))),
  ),
  // Events dropped for a while, the stream left open (the stall check's case: docker.stall_check).
  fc.tuple(fc.constantFrom(...NAMES).chain((n) => fc.option(containerOps(n), { nil: undefined })), fc.constantFrom(20, 80)).map(([during, s]) =>
    cmd(`engine: event stream stalls for ${s}s${during ? `; meanwhile ${during.text}` : ''}`, (w) => w.stall(() => during?.fn(w), s * 1000)),
  ),
  fc.constant(cmd('engine: refuses the next restart/start', (w) => void w.engine.refuseNext++)),
  fc.constantFrom(3_000, 30_000).map((ms) => cmd(`engine: the next action takes ${ms / 1000}s`, (w) => void (w.engine.slowNextMs = ms))),
  fc.constantFrom(...NAMES).chain((n) => fc.option(containerOps(n), { nil: undefined })).map((during) =>
    cmd(`healer: SIGKILL${during ? `; meanwhile ${during.text}` : ''}; started again on the same state file`, async (w) => {
      await w.killHealer();
      during?.fn(w);
      await w.startHealer();
    }),
  ),
];

describe('the watchdog as a whole, under random operator, application and engine behaviour', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => void unhandled.push(e);
  beforeAll(() => void process.on('unhandledRejection', onUnhandled));
  afterAll(() => void process.off('unhandledRejection', onUnhandled));

  it('keeps every invariant after every step', async () => {
    await fc.assert(
      fc.asyncProperty(fc.tuple(...NAMES.map(running)), fc.commands(commands, { maxCommands: 40, size: 'max' }), async (initial, cmds) => {
        const w = await World.create();
        try {
          for (const r of initial) {
            if (WITHOUT?.test(r.text)) continue;
            w.log.push(r.text);
            r.fn(w);
          }
          await w.settle();
          await fc.asyncModelRun(() => ({ model: {}, real: w }), cmds);
          if (process.env.MODEL_DEBUG) console.log(w.log.join(' / '));
          await w.advance(40_000); // everything decided comes due
          if (!WITHOUT?.test('state file check')) await w.checkStateFile();
          if (unhandled.length > 0) throw new Error(`invariant broken: unhandled rejection: ${String(unhandled[0])}`);
        } finally {
          unhandled.length = 0;
          await w.dispose();
        }
      }),
      // Shrinking replays stream cuts, each a real reconnect delay (250 ms): bounded so CI stays short.
      { seed: SEED, numRuns: RUNS, ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH, endOnFailure: true } : {}), interruptAfterTimeLimit: Number(process.env.FUZZ_TIME_MS ?? 20_000) },
    );
  }, 120_000);
});
