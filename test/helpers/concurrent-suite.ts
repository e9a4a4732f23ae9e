import { afterAll, beforeAll } from 'vitest';
import { removeTestContainers, requireEngine } from './engine.ts';

/** What a test's context offers for its own clean-up (vitest's TestContext). */
interface Finishing {
  onTestFinished(fn: () => Promise<void> | void): void;
}

/**
 * engineSuite for a file whose tests run at once (describe.concurrent): a clean-up after each test would
 * remove the containers of the tests still running, so each test cleans up after itself as it finishes
 * (its deferred clean-ups, last first, then its own run's containers), and every test container goes
 * before and after the file.
 */
export function concurrentEngineSuite(): { begin(t: Finishing, runId: string): { defer(...fns: (() => Promise<void> | void)[]): void } } {
  beforeAll(async () => {
    await requireEngine();
    await removeTestContainers();
  });
  afterAll(() => removeTestContainers());
  return {
    begin(t, runId) {
      const cleanups: (() => Promise<void> | void)[] = [];
      t.onTestFinished(async () => {
        for (const c of cleanups.reverse()) await c();
        await removeTestContainers(runId);
      });
      return { defer: (...fns) => void cleanups.push(...fns) };
    },
  };
}
