import { describe, expect, it } from 'vitest';
import type { ContainerInfo } from '../../src/docker/types.ts';
import type { ContainerWatch } from '../../src/watchdog/container-watch.ts';
import { MatchBudget } from '../../src/watchdog/match-budget.ts';
import { recoveredMeanwhile } from '../../src/watchdog/recheck.ts';

// Review 25b's suspicion, proved at the budget and the re-check: a container never matched yet (its
// target refused or hung so far: no body, no cost known) runs one body probe at a time. Its readiness
// probe out, the liveness re-check of its restart that waited for a slot is put off (no warning: it spent
// nothing), and the restart is held; the held line said "over its share of healer's time", which is
// untrue for it (it has no charge at all). The line now names what the budget may have put it off for.

describe('a re-check put off for a container never matched yet', () => {
  it('is put off while its other probe is out, and the held line does not say it is over its share', async () => {
    const budget = new MatchBudget();
    expect(budget.verdict('c', 0)).toEqual({ delay: false }); // its readiness probe, out
    const recheck = budget.verdict('c', 10);
    expect(recheck.delay).toBe(true);
    expect(recheck.delay && recheck.warn).toBe(false);

    const lines: string[] = [];
    const watch = {
      policy: { liveness: { spec: { kind: 'http' }, successes: 1 } },
      state: { liveness: { up: false } },
      passesNow: () => Promise.resolve('unsure' as const),
      log: { warn: (msg: string) => lines.push(msg), info: (msg: string) => lines.push(msg) },
    } as unknown as ContainerWatch;
    expect(await recoveredMeanwhile(watch, { health: undefined } as ContainerInfo, true)).toBe('held');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain("over its share of healer's time)");
    expect(lines[0]).toContain('its first match still under way');
  });
});
