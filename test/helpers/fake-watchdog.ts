import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { afterEach } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import type { Prober } from '../../src/probes/types.ts';
import { systemClock } from '../../src/watchdog/clock.ts';
import { StateFile } from '../../src/watchdog/state-file.ts';
import { Watchdog, type WatchdogDeps } from '../../src/watchdog/watchdog.ts';

/** What a test says of its Watchdog: the engine, one prober for every kind, and any option it sets itself. */
export type FakeWatchdogDeps = Pick<WatchdogDeps, 'engine'> & Partial<Omit<WatchdogDeps, 'engine' | 'state'>> & { prober: Prober };

/**
 * Real Watchdogs over a fake engine, one a test, stopped (and their state directory removed) after
 * each test, passed or failed. What a test does not set is healer's with no watchdog.yml: the system
 * clock, silent logs, a state file of its own, no own container, alerts dropped.
 */
export function fakeWatchdogs(prefix: string): { dir(): string; watchdog(deps: FakeWatchdogDeps): Watchdog } {
  let dir: string | undefined;
  let wd: Watchdog | undefined;
  afterEach(async () => {
    await wd?.stop(1000);
    wd = undefined;
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  /** This test's directory (the state file's; a test may put its watchdog.yml there). */
  const dirOf = (): string => (dir ??= mkdtempSync(`${tmpdir()}/${prefix}`));
  return {
    dir: dirOf,
    watchdog({ prober, ...deps }: FakeWatchdogDeps): Watchdog {
      const log = deps.log ?? pino({ level: 'silent' });
      wd = new Watchdog({
        loaded: loadConfig(undefined, {}),
        clock: systemClock,
        probers: { http: prober, tcp: prober, exec: prober },
        self: { ids: [], hostname: 'healer' },
        state: new StateFile(`${dirOf()}/state.json`, log),
        alerter: { emit: () => undefined, containerGone: () => undefined },
        ...deps,
        log,
      });
      return wd;
    },
  };
}
