import { describe, expect, it } from 'vitest';
import { WrongTokenThrottle } from '../../src/web/throttle.ts';

describe('WrongTokenThrottle', () => {
  it('blocks an address after the limit within the window, until that window ends; others are untouched', () => {
    let now = 1_000_000;
    const t = new WrongTokenThrottle(() => now, { limit: 3, windowMs: 60_000 });
    t.wrong('a');
    t.wrong('a');
    expect(t.retryAfterMs('a')).toBe(0);
    now += 10_000;
    t.wrong('a');
    expect(t.retryAfterMs('a')).toBe(50_000);
    expect(t.retryAfterMs('b')).toBe(0);
    now += 50_000;
    expect(t.retryAfterMs('a')).toBe(0);
    t.wrong('a'); // a new window
    expect(t.retryAfterMs('a')).toBe(0);
  });

  it('remembers at most maxClients addresses, forgetting the oldest first', () => {
    let now = 0;
    const t = new WrongTokenThrottle(() => now, { limit: 1, windowMs: 60_000, maxClients: 2 });
    t.wrong('a');
    now++;
    t.wrong('b');
    now++;
    t.wrong('c');
    expect([t.retryAfterMs('a'), t.retryAfterMs('b') > 0, t.retryAfterMs('c') > 0]).toEqual([0, true, true]);
  });
});
