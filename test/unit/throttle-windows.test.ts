import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ThrottleWindows } from '../../src/alerting/throttle-windows.ts';
import { SEVERITY, type Alert, type AlertEvent } from '../../src/alerting/types.ts';

const alert = (event: AlertEvent, n: number, id = 'a'): Alert => ({
  event,
  severity: SEVERITY[event],
  summary: `${id} ${event} #${n}`,
  reason: 'test',
  host: 'box1',
  container: { id, name: `c-${id}`, image: 'img', project: undefined, service: undefined },
  at: new Date(n * 1000).toISOString(),
});

describe('ThrottleWindows', () => {
  let sent: Alert[];
  let t: ThrottleWindows;
  const push = (a: Alert) => {
    if (t.admit(a).deliver) sent.push(a);
  };
  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    t = new ThrottleWindows(10_000, (alerts) => sent.push(...alerts));
  });
  afterEach(() => {
    t.endAll();
    vi.useRealTimers();
  });

  it('ends the windows of one condition together, their summaries in the order things happened', () => {
    push(alert('unhealthy', 1)); // delivered
    vi.advanceTimersByTime(1000);
    push(alert('recovered', 2)); // delivered
    push(alert('unhealthy', 3));
    push(alert('recovered', 4));
    push(alert('unhealthy', 5)); // the latest state
    vi.advanceTimersByTime(9000); // the unhealthy window ends; the recovered one with it
    expect(sent.map((a) => a.summary.split(' (')[0])).toEqual(['a unhealthy #1', 'a recovered #2', 'a recovered #4', 'a unhealthy #5']);
    expect(sent.slice(2).map((a) => a.suppressed)).toEqual([1, 2]);
    push(alert('recovered', 6)); // its window ended with the unhealthy one: a new one opens
    expect(sent.at(-1)?.summary).toBe('a recovered #6');
  });

  it('sends a delivered alert again after the held-back ones it came after, so it stays the last word', () => {
    push(alert('unhealthy', 1));
    push(alert('unhealthy', 2)); // held back
    push(alert('recovered', 3)); // delivered: the container is fine now
    vi.advanceTimersByTime(10_000);
    expect(sent.map((a) => [a.event, a.summary])).toEqual([
      ['unhealthy', 'a unhealthy #1'],
      ['recovered', 'a recovered #3'],
      ['unhealthy', 'a unhealthy #2 (and 1 more unhealthy alerts for c-a in the throttle window)'],
      ['recovered', 'a recovered #3 (still so after the alerts the throttle window held back for c-a)'],
    ]);
  });

  it('keeps other containers and unrelated events in windows of their own', () => {
    push(alert('unhealthy', 1));
    push(alert('died', 2));
    push(alert('died', 3)); // held back
    vi.advanceTimersByTime(5000);
    push(alert('unhealthy', 4, 'b')); // another container: its own window
    push(alert('ready', 5)); // another condition: not repeated when the unhealthy window ends
    vi.advanceTimersByTime(5000);
    expect(sent.map((a) => a.summary)).toEqual(['a unhealthy #1', 'a died #2', 'b unhealthy #4', 'a ready #5', 'a died #3 (and 1 more died alerts for c-a in the throttle window)']);
    push(alert('unhealthy', 6, 'b')); // b's window is still open
    expect(sent).toHaveLength(5);
  });
});
