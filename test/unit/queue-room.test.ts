import { describe, expect, it } from 'vitest';
import { alertToDrop } from '../../src/alerting/queue-room.ts';
import type { Alert } from '../../src/alerting/types.ts';

// Which alert a full channel queue drops (review 14: a flood of one party's containers dropped another
// container's critical restart_failed, because the newest alert was always the one dropped).
const a = (container: string | undefined, event: Alert['event'], severity: Alert['severity'] = 'warning'): Alert => ({
  event,
  severity,
  summary: `${container ?? 'host'} ${event}`,
  reason: 'test',
  host: 'h',
  ...(container === undefined ? {} : { container: { id: container, name: container, image: 'i', project: undefined, service: undefined } }),
  at: '2026-11-24T04:20:00.000Z',
});

describe('alertToDrop: a full queue drops from the container with the most alerts queued', () => {
  it('a container with nothing queued gets in: the flooding container\'s oldest non-critical alert goes', () => {
    const queue = [a('flood', 'crashloop', 'critical'), a('flood', 'unhealthy'), a('other', 'unhealthy'), a('flood', 'restarted')];
    expect(alertToDrop(queue, a('db', 'unhealthy'))).toBe(1);
  });

  it('many containers with one alert each: the oldest goes for a new container', () => {
    const queue = [a('t1', 'unhealthy'), a('t2', 'unhealthy'), a('t3', 'unhealthy')];
    expect(alertToDrop(queue, a('db', 'restart_failed', 'critical'))).toBe(0);
    expect(alertToDrop(queue, a(undefined, 'paused', 'critical'))).toBe(0); // host-wide alerts are one more party
  });

  it('the flooding container\'s own new alert is the one dropped, as before', () => {
    const queue = [a('flood', 'unhealthy'), a('flood', 'restarted'), a('db', 'unhealthy')];
    expect(alertToDrop(queue, a('flood', 'recovered'))).toBeUndefined();
    // Equal shares: the new one goes unless it is critical.
    const even = [a('t1', 'unhealthy'), a('db', 'unhealthy')];
    expect(alertToDrop(even, a('db', 'recovered'))).toBeUndefined();
  });

  it('a critical alert of a container with as many queued as any displaces the oldest non-critical', () => {
    const even = [a('t1', 'crashloop', 'critical'), a('t2', 'unhealthy'), a('db', 'unhealthy')];
    expect(alertToDrop(even, a('db', 'restart_failed', 'critical'))).toBe(1);
    const allCritical = [a('t1', 'crashloop', 'critical'), a('db', 'crashloop', 'critical')];
    expect(alertToDrop(allCritical, a('db', 'restart_failed', 'critical'))).toBeUndefined();
  });

  it('criticals of the flooding container stay while it has non-critical ones', () => {
    const queue = [a('flood', 'crashloop', 'critical'), a('flood', 'restart_failed', 'critical'), a('flood', 'unhealthy')];
    expect(alertToDrop(queue, a('db', 'unhealthy'))).toBe(2);
    const onlyCritical = [a('flood', 'crashloop', 'critical'), a('flood', 'restart_failed', 'critical')];
    expect(alertToDrop(onlyCritical, a('db', 'unhealthy'))).toBe(0);
  });
});
