import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { openAlerts, restoreAlerts } from '../../src/watchdog/open-alerts.ts';
import { StateFile } from '../../src/watchdog/state-file.ts';
import { initialState } from '../../src/watchdog/state-machine.ts';

// Session 25: the times the open `held` and `restart_failed` were alerted are kept in the state file
// (alerts.held, alerts.restart_failed). A file written before them (main's: `unresolved` only) still loads.

function load(containers: Record<string, unknown>): StateFile {
  const log = pino({ level: 'silent' });
  const dir = mkdtempSync(`${tmpdir()}/healer-state-test-`);
  writeFileSync(`${dir}/state.json`, JSON.stringify({ version: 1, savedAt: 100, containers }));
  const s = new StateFile(`${dir}/state.json`, log);
  s.load();
  return s;
}
const base = { name: 'worker', budget: { restarts: [], level: 0, loop: 'closed' }, lifecycle: 'exited', restartCount: 0 };

describe('s25: kept held and restart_failed times', () => {
  it('an older file (unresolved only) loads as it was; a new one keeps both times', () => {
    const s = load({ a: { ...base, alerts: { unresolved: true } }, b: { ...base, alerts: { unresolved: true, held: 5, restart_failed: 7 } } });
    expect(s.get('a')?.alerts).toEqual({ unresolved: true });
    expect(s.get('b')?.alerts).toEqual({ unresolved: true, held: 5, restart_failed: 7 });
  });

  it('restored into a state and read back the same', () => {
    const st = restoreAlerts(initialState({ running: false, startedAt: 0 }), { unresolved: true, held: 5, restart_failed: 7 });
    expect([st.heldSince, st.failedSince]).toEqual([5, 7]);
    expect(openAlerts(st)).toEqual({ unresolved: true, held: 5, restart_failed: 7 });
    expect(openAlerts(restoreAlerts(initialState({ running: false, startedAt: 0 }), { unresolved: true }))).toEqual({ unresolved: true });
  });
});
