import { describe, expect, it } from 'vitest';
import type { ContainerEvent } from '../../src/docker/types.ts';
import { signalNumber } from '../../src/docker/signals.ts';
import { EventReader, STOP_SIGNAL_WINDOW_MS } from '../../src/watchdog/event-reader.ts';

const ev = (action: string, extra: Partial<ContainerEvent> = {}): ContainerEvent => ({
  id: 'c1',
  name: 'api',
  action,
  health: undefined,
  exitCode: undefined,
  signal: undefined,
  labels: {},
  time: 0,
  ...extra,
});
const kill = (signal: string) => ev('kill', { signal });
const die = (exitCode: number) => ev('die', { exitCode });

/** Reads events in order at the given times; returns the inputs they meant. */
function read(r: EventReader, events: [number, ContainerEvent][], stopSignal?: string) {
  return events.map(([at, e]) => r.read(e, at, stopSignal)).filter((i) => i !== undefined);
}

describe('signalNumber', () => {
  it.each([
    ['15', 15],
    ['SIGTERM', 15],
    ['term', 15],
    ['SIGKILL', 9],
    ['HUP', 1],
    ['SIGQUIT', 3],
    ['NOPE', undefined],
    ['SIGRTMIN', 34],
    ['rtmin+3', 37],
    ['SIGRTMAX-2', 62],
    ['RTMAX', 64],
    ['SIGRTMIN+31', undefined],
    [undefined, undefined],
  ])('%s → %s', (s, n) => expect(signalNumber(s)).toBe(n));
});

describe('EventReader', () => {
  it('reads `docker stop` (SIGTERM, die, stop) as an operator stop', () => {
    expect(read(new EventReader(), [[1, kill('15')], [2, die(143)], [3, ev('stop')]])).toEqual([
      { type: 'stopped', by: 'operator', at: 2 },
      { type: 'stopped', by: 'operator', at: 3 },
    ]);
  });

  it('reads `docker kill` (SIGKILL) and the container StopSignal as an operator stop', () => {
    expect(read(new EventReader(), [[1, kill('9')], [2, die(137)]])).toEqual([{ type: 'stopped', by: 'operator', at: 2 }]);
    expect(read(new EventReader(), [[1, kill('SIGQUIT')], [2, die(0)]], 'SIGQUIT')).toEqual([{ type: 'stopped', by: 'operator', at: 2 }]);
  });

  // Issue 13: a reload signal marked the container operator-stopped; its next crash went unseen.
  it('reads `kill -s HUP` as a reload: the crash after it is a crash', () => {
    expect(read(new EventReader(), [[1, kill('1')], [5_000, die(3)]])).toEqual([{ type: 'stopped', by: 'exit', at: 5_000, exitCode: 3, oom: false }]);
  });

  it('forgets a stop signal the container survived: a crash much later is a crash', () => {
    expect(read(new EventReader(), [[1, kill('15')], [2 + STOP_SIGNAL_WINDOW_MS, die(3)]])).toEqual([
      { type: 'stopped', by: 'exit', at: 2 + STOP_SIGNAL_WINDOW_MS, exitCode: 3, oom: false },
    ]);
  });

  it("treats the kill, die, stop and start of healer's own restart as healer's", () => {
    const r = new EventReader();
    r.beginAction('restart');
    expect(read(r, [[1, kill('15')], [2, die(143)], [3, ev('stop')], [4, ev('start')], [5, ev('restart')]])).toEqual([]);
    expect(r.endAction(true)).toEqual([]);
    expect(read(r, [[10, die(3)]])).toEqual([{ type: 'stopped', by: 'exit', at: 10, exitCode: 3, oom: false }]);
  });

  // Issue 13: a container crashing while healer's own start was in flight was never started again.
  it("keeps a crash of the new run that comes before the engine answered healer's start", () => {
    const r = new EventReader();
    r.beginAction('start');
    expect(read(r, [[1, ev('start')], [2, die(3)]])).toEqual([]);
    expect(r.endAction(true)).toEqual([{ type: 'stopped', by: 'exit', at: 2, exitCode: 3, oom: false }]);
  });

  // Review: an operator's `docker stop` while healer's start was being answered was taken for a crash.
  it("reads an operator's stop of the new run during healer's start as a stop", () => {
    const r = new EventReader();
    r.beginAction('start');
    expect(read(r, [[1, ev('start')], [2, kill('15')], [3, die(143)], [4, ev('stop')]])).toEqual([]);
    expect(r.endAction(true)).toEqual([{ type: 'stopped', by: 'operator', at: 4 }]);
  });

  // Review 11: the new run crashed and its restart policy (or an operator's `docker restart`) started it
  // again before healer read its restart's answer: it runs, so the down is followed by that start.
  it("keeps a start that follows a crash of the new run during healer's restart", () => {
    const r = new EventReader();
    r.beginAction('restart');
    expect(read(r, [[1, kill('15')], [2, die(143)], [3, ev('stop')], [4, ev('start')], [5, ev('restart')], [6, die(3)], [7, ev('start')]])).toEqual([]);
    expect(r.endAction(true)).toEqual([{ type: 'stopped', by: 'exit', at: 6, exitCode: 3, oom: false }, { type: 'started', at: 7 }]);
  });

  // Review 11: a restart healer gave up waiting for (no answer) after its signals, which the engine
  // finishes later (the process was stuck in uninterruptible I/O): its events are that restart's.
  it("reads a restart the engine finishes after healer stopped waiting as healer's: no crash, a start", () => {
    const r = new EventReader();
    r.beginAction('restart');
    expect(read(r, [[1, kill('15')], [2, kill('9')]])).toEqual([]);
    expect(r.endAction(false)).toEqual([]);
    expect(r.downByOwnAction).toBe(false);
    expect(read(r, [[13, die(137)], [13, ev('stop')], [13, ev('start')], [13, ev('restart')]])).toEqual([{ type: 'started', at: 13 }]);
    expect(read(r, [[20, die(3)]])).toEqual([{ type: 'stopped', by: 'exit', at: 20, exitCode: 3, oom: false }]);
  });

  it("keeps the retry's own events healer's when the late restart finishes while the retry waits behind it", () => {
    const r = new EventReader();
    r.beginAction('restart');
    read(r, [[1, kill('15')], [2, kill('9')]]);
    r.endAction(false);
    r.beginAction('restart'); // the retry, queued at the engine behind the late one
    const late: [number, ContainerEvent][] = [[13, die(137)], [13, ev('stop')], [13, ev('start')], [13, ev('restart')]];
    const retry: [number, ContainerEvent][] = [[14, kill('15')], [15, die(143)], [15, ev('stop')], [15, ev('start')], [15, ev('restart')]];
    expect(read(r, [...late, ...retry])).toEqual([]);
    expect(r.endAction(true)).toEqual([]);
    expect(r.stopSignalled(16)).toBe(false);
  });

  it('stops awaiting a late restart after the stop-signal window: a die then is a crash', () => {
    const r = new EventReader();
    r.beginAction('restart');
    read(r, [[1, kill('15')], [2, kill('9')]]);
    r.endAction(false);
    expect(read(r, [[3 + STOP_SIGNAL_WINDOW_MS, die(137)]])).toEqual([{ type: 'stopped', by: 'exit', at: 3 + STOP_SIGNAL_WINDOW_MS, exitCode: 137, oom: false }]);
  });

  it('does not await a refused restart that never signalled the container', () => {
    const r = new EventReader();
    r.beginAction('restart');
    r.endAction(false);
    expect(read(r, [[5, die(3)]])).toEqual([{ type: 'stopped', by: 'exit', at: 5, exitCode: 3, oom: false }]);
  });

  // Review: `docker stop --signal SIGUSR2` (any signal; or an app exiting after the 60 s window) ends with a
  // `stop` event. (SIGINT, which the review used, is an ending signal since session 24: its die is the stop's.)
  it('reads the stop event after any die as an operator stop', () => {
    expect(read(new EventReader(), [[1, kill('12')], [2, die(130)], [3, ev('stop')]])).toEqual([
      { type: 'stopped', by: 'exit', at: 2, exitCode: 130, oom: false },
      { type: 'stopped', by: 'operator', at: 3 },
    ]);
  });

  // Review: a crash while healer's restart waited for the engine, and the restart then failed.
  // Second review: a restart whose stop ran and whose start the engine refused is down because of healer.
  it("says the container went down in healer's own action when healer's restart fails after its die", () => {
    const r = new EventReader();
    r.beginAction('restart');
    expect(read(r, [[1, kill('15')], [2, die(143)], [3, ev('stop')]])).toEqual([]);
    expect(r.endAction(false)).toEqual([]); // no crash to report: healer starts it again
    expect(r.downByOwnAction).toBe(true);
    expect(r.down).toEqual({ type: 'stopped', by: 'exit', at: 2, exitCode: 143, oom: false });
    r.beginAction('start');
    expect(r.endAction(true)).toEqual([]);
    expect(r.downByOwnAction).toBe(false);
  });

  // Found on the real engine through a socket proxy: the engine answered the restart before its start
  // event arrived; the restart's own die must not come back as a crash.
  it("keeps the die of a successful restart healer's own when the engine answers before the start event", () => {
    const r = new EventReader();
    r.beginAction('restart');
    expect(read(r, [[1, kill('15')], [2, die(0)], [3, ev('stop')]])).toEqual([]);
    expect(r.endAction(true)).toEqual([]);
    expect(read(r, [[4, ev('start')], [5, ev('restart')]])).toEqual([]);
  });

  // Second review: a task handed back, then started outside Swarm during a stream gap: its later stop is
  // someone else's, not part of healer's hand-back.
  it('forgets a finished hand-back after a resync', () => {
    const r = new EventReader();
    r.beginAction('replace');
    expect(read(r, [[1, kill('15')], [2, die(143)], [3, ev('stop')]])).toEqual([]);
    r.endAction(true);
    r.resync(); // the orphan's start fell in the gap
    expect(read(r, [[10, kill('15')], [11, die(143)]])).toEqual([{ type: 'stopped', by: 'operator', at: 11 }]);
  });

  // Review: a restart that finished while the event stream was cut left its closing events awaited forever.
  it("stops waiting for a finished restart's closing events after a resync", () => {
    const r = new EventReader();
    r.beginAction('restart');
    r.endAction(true); // answered; its kill, die, stop, start and restart were lost in the gap
    r.resync();
    expect(read(r, [[10, kill('15')], [11, die(143)], [12, ev('stop')]])).toEqual([
      { type: 'stopped', by: 'operator', at: 11 },
      { type: 'stopped', by: 'operator', at: 12 },
    ]);
  });

  it("reads a crash after healer's restart answered but before its closing restart event as a crash", () => {
    const r = new EventReader();
    r.beginAction('restart');
    read(r, [[1, kill('15')], [2, die(143)], [3, ev('start')]]);
    r.endAction(true);
    expect(read(r, [[4, die(3)], [5, ev('restart')]])).toEqual([{ type: 'stopped', by: 'exit', at: 4, exitCode: 3, oom: false }]);
  });

  it('carries an OOM kill to the exit, and pause/unpause through', () => {
    expect(read(new EventReader(), [[1, ev('oom')], [2, die(137)], [3, ev('pause')], [4, ev('unpause')]])).toEqual([
      { type: 'stopped', by: 'exit', at: 2, exitCode: 137, oom: true },
      { type: 'paused', at: 3 },
      { type: 'unpaused', at: 4 },
    ]);
  });
});
