import { describe, expect, it } from 'vitest';
import { backoffDelay, EMPTY_BUDGET, maybeReset, recordRestarts, type BudgetRules } from '../../src/watchdog/budget.ts';
import { breakerOpen, failingDependency } from '../../src/watchdog/guards.ts';

const rules: BudgetRules = { backoff: { initialMs: 10_000, maxMs: 300_000, resetMs: 600_000 }, crashloop: { restarts: 5, windowMs: 600_000, action: 'retry' } };

describe('breakerOpen', () => {
  it.each([
    [3, 4, true],
    [2, 4, false], // exactly the fraction is not more than it
    [4, 4, true],
    [3, 3, false], // fewer than min_containers
    [0, 10, false],
    [6, 10, true],
  ])('%d failing of %d watched → %s', (failing, watched, open) => {
    expect(breakerOpen(failing, watched, { fraction: 0.5, minContainers: 4 })).toBe(open);
  });
});

describe('failingDependency', () => {
  const db = { name: 'shop-db-1', project: 'shop', service: 'db', failing: true };
  const cache = { name: 'cache', project: undefined, service: undefined, failing: false };
  it('finds a failing compose service of the same project, or a container by name outside compose', () => {
    expect(failingDependency({ project: 'shop', dependsOn: ['cache', 'db'] }, [db, cache])).toBe('db');
    expect(failingDependency({ project: 'other', dependsOn: ['db'] }, [db])).toBeUndefined();
    expect(failingDependency({ project: undefined, dependsOn: ['shop-db-1'] }, [db])).toBe('shop-db-1');
    expect(failingDependency({ project: 'shop', dependsOn: ['cache'] }, [db, cache])).toBeUndefined();
    expect(failingDependency({ project: 'shop', dependsOn: [] }, [db])).toBeUndefined();
  });
  it('inside compose a plain name is a service of the own project only; /name is a container name', () => {
    // Another project's container name is no longer a dependency of a compose container by itself
    // (a tenant can name a container like anything free), only when written as /name.
    expect(failingDependency({ project: 'other', dependsOn: ['shop-db-1'] }, [db])).toBeUndefined();
    expect(failingDependency({ project: 'other', dependsOn: ['/shop-db-1'] }, [db])).toBe('/shop-db-1');
    expect(failingDependency({ project: undefined, dependsOn: ['/shop-db-1'] }, [db])).toBe('/shop-db-1');
    const failingCache = { ...cache, failing: true };
    expect(failingDependency({ project: 'shop', dependsOn: ['cache'] }, [failingCache])).toBeUndefined();
    expect(failingDependency({ project: 'shop', dependsOn: ['/cache'] }, [failingCache])).toBe('/cache');
  });
});

describe('restart budget', () => {
  it('doubles from initial up to max, and uses max in an open loop', () => {
    const delays = [0, 1, 2, 3, 6, 9].map((level) => backoffDelay({ ...EMPTY_BUDGET, level }, rules));
    expect(delays).toEqual([0, 10_000, 20_000, 40_000, 300_000, 300_000]);
    expect(backoffDelay({ ...EMPTY_BUDGET, level: 1, loop: 'open' }, rules)).toBe(300_000);
  });

  it('opens the loop on the restart that is one too many, and forgets restarts older than the window', () => {
    let b = EMPTY_BUDGET;
    const opened: boolean[] = [];
    for (const at of [0, 1000, 2000, 3000, 4000, 5000]) {
      const r = recordRestarts(b, at, rules);
      b = r.budget;
      opened.push(r.opened);
    }
    expect(opened).toEqual([false, false, false, false, false, true]);
    expect(recordRestarts({ ...EMPTY_BUDGET, restarts: [0, 1, 2, 3, 4] }, 700_000, rules).budget.restarts).toEqual([700_000]);
  });

  it('resets level, loop and the restarts counted towards a crash loop after `reset` healthy', () => {
    const b = { restarts: [5], level: 4, lastRestartAt: 5, loop: 'open' as const, healthySince: 1000 };
    expect(maybeReset(b, 600_999, rules).reset).toBe(false);
    // Found by the model test: with reset shorter than the window, a kept history re-opened the loop
    // (or gave up) on the first crash after a long healthy run.
    expect(maybeReset(b, 601_000, rules)).toEqual({ budget: { ...b, restarts: [], level: 0, loop: 'closed' }, reset: true });
  });
});
