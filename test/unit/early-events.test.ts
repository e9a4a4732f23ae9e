import { describe, expect, it } from 'vitest';
import { after } from '../../src/watchdog/early-events.ts';
import type { ContainerEvent } from '../../src/docker/types.ts';

const ev = (action: string, time: number): ContainerEvent => ({ id: 'c', name: 'c', action, health: undefined, exitCode: action === 'die' ? 3 : undefined, signal: undefined, labels: {}, time });
const names = (list: readonly ContainerEvent[]): string[] => list.map((e) => `${e.action}@${e.time}`);

describe('events held while a first inspect is out: what its answer does not show', () => {
  it.each([
    ['running: a crash after the run it shows began', { running: true, startedAt: 100, finishedAt: 0 }, [ev('start', 100), ev('die', 150)], ['die@150']],
    ['running: its own start is in the answer', { running: true, startedAt: 100, finishedAt: 0 }, [ev('start', 101)], []],
    ['running: an earlier run ended before it', { running: true, startedAt: 300, finishedAt: 200 }, [ev('die', 200), ev('start', 300)], []],
    ['running: a restart-policy cycle after it', { running: true, startedAt: 100, finishedAt: 0 }, [ev('die', 150), ev('start', 250)], ['die@150', 'start@250']],
    ['down: the exit it shows', { running: false, startedAt: 100, finishedAt: 150 }, [ev('die', 150)], []],
    ['down: a start after the exit, and what follows', { running: false, startedAt: 100, finishedAt: 150 }, [ev('die', 151), ev('start', 200), ev('die', 260)], ['start@200', 'die@260']],
  ])('%s', (_name, info, events, expected) => {
    expect(names(after(info, events))).toEqual(expected);
  });
});
