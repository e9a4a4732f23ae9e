import { describe, expect, it } from 'vitest';
import { MatchBudget, SHARE, TOTAL_SHARE } from '../../src/watchdog/match-budget.ts';

/**
 * Containers probed every 100 ms for `seconds`, each match taking its `cost` ms (healer's loop is taken
 * as free otherwise: matches do not delay each other here). Returns each container's matching time.
 */
function run(budget: MatchBudget, costs: Record<string, number>, seconds: number, from = 0): Record<string, number> {
  const spent: Record<string, number> = Object.fromEntries(Object.keys(costs).map((id) => [id, 0]));
  for (let t = from; t < from + seconds * 1000; t += 100) {
    for (const [id, cost] of Object.entries(costs)) {
      if (budget.verdict(id, t).delay) continue;
      budget.ended(id, t + cost, cost);
      spent[id] = (spent[id] ?? 0) + cost;
    }
  }
  return spent;
}

describe('match budget: healer time for body matching', () => {
  it('a container whose matches are slow gets about its share, never more than share plus one burst', () => {
    const b = new MatchBudget();
    const spent = run(b, { tenant: 400 }, 600);
    // Asked for 400%; gets SHARE (5%) of 600 s, give or take one match and the burst.
    expect(spent.tenant).toBeLessThanOrEqual(600_000 * SHARE + 400 + 1_000 * SHARE);
    expect(spent.tenant).toBeGreaterThanOrEqual(600_000 * SHARE * 0.8);
  });

  it('many slow containers together get at most the total share', () => {
    const b = new MatchBudget();
    const costs = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`t${i}`, 400]));
    const spent = run(b, costs, 600);
    const total = Object.values(spent).reduce((a, x) => a + x, 0);
    // Each container's first match runs before its cost is known: 20 x 400 ms once.
    expect(total).toBeLessThanOrEqual(600_000 * TOTAL_SHARE + 20 * 400 + 1_000);
    expect(total).toBeGreaterThanOrEqual(600_000 * TOTAL_SHARE * 0.7);
  });

  it('a container with cheap matches is never put off, however much the others spend', () => {
    const b = new MatchBudget();
    const costs: Record<string, number> = { cheap: 0.5 };
    for (let i = 0; i < 10; i++) costs[`t${i}`] = 400;
    const spent = run(b, costs, 60);
    expect(spent.cheap).toBe(600 * 0.5); // every one of its 600 probes ran
  });

  it('a container new while the total is spent waits, without a warning, and then runs one probe at a time', () => {
    const b = new MatchBudget();
    for (let i = 0; i < 4; i++) b.verdict(`t${i}`, 0);
    for (let i = 0; i < 4; i++) b.ended(`t${i}`, 400, 400); // 1.6 s of matching: the total is spent for ~8 s
    expect(b.verdict('fresh', 500)).toEqual({ delay: true, warn: false, share: SHARE });
    expect(b.verdict('fresh', 10_000).delay).toBe(false);
    // Its second probe (the other role) waits for the first to end: its cost is not known yet.
    expect(b.verdict('fresh', 10_050)).toMatchObject({ delay: true, warn: false });
    b.ended('fresh', 10_100, undefined); // ended before any match (a wrong status): nothing charged
    expect(b.verdict('fresh', 10_200).delay).toBe(false);
  });

  it('containers never matched wait for their targets freely; their matches run only while the total (or the newcomers allowance) has room', () => {
    const b = new MatchBudget();
    // A tenant starts ten together: waiting for a target costs nothing, so none holds another back (review 24).
    const allowed = Array.from({ length: 10 }, (_, i) => b.verdict(`new${i}`, 0).delay).filter((d) => !d).length;
    expect(allowed).toBe(10);
    expect(b.mayMatch('new0', 5)).toBe(true);
    b.ended('new0', 405, 400); // the total is 2 s ahead, the newcomers' allowance 8 s
    expect(b.mayMatch('new0', 410)).toBe(true); // known now: verdict() decides for it
    // The others' bodies arrive meanwhile: their matches are put off (one unknown match, not one per container).
    expect(b.mayMatch('new1', 410)).toBe(false);
    expect(b.mayMatch('new2', 420)).toBe(false);
    expect(b.verdict('new1', 500).delay).toBe(true); // and they start again only with room
    expect(b.verdict('new1', 1_500).delay).toBe(false); // the total has room again
    expect(b.mayMatch('new1', 1_505)).toBe(true);
    // A probe that threw releases its container: its other role may go.
    expect(b.verdict('new3', 1_505).delay).toBe(true); // its first probe is still out
    b.release('new3');
    expect(b.verdict('new3', 1_506).delay).toBe(false);
    b.forget('new4');
    expect(b.verdict('new4', 1_506).delay).toBe(false); // forgotten: a fresh account
  });

  it('warns once per container, and a forgotten container no longer divides the total', () => {
    const b = new MatchBudget();
    b.verdict('a', 0);
    b.ended('a', 400, 400);
    expect(b.verdict('a', 500)).toMatchObject({ delay: true, warn: true });
    expect(b.verdict('a', 600)).toMatchObject({ delay: true, warn: false });
    for (let i = 0; i < 8; i++) {
      b.verdict(`t${i}`, 20_000);
      b.ended(`t${i}`, 20_001, 1);
    }
    expect(b.share()).toBeCloseTo(TOTAL_SHARE / 9);
    for (let i = 0; i < 8; i++) b.forget(`t${i}`);
    expect(b.share()).toBe(SHARE);
  });
});
