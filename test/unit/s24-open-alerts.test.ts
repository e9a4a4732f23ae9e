import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { openAlerts, restoreAlerts } from '../../src/watchdog/open-alerts.ts';
import { StateFile } from '../../src/watchdog/state-file.ts';
import { initialState, step, type Rules } from '../../src/watchdog/state-machine.ts';

// The alerts healer sent whose end it owes, kept in the state file across its own restarts: read entry by
// entry (a value a newer healer wrote drops only the open alerts, with a warning), older files still load,
// and a restored state is ended by the pure machine as live (recovered once, from the kept first failure).

const rules: Rules = {
  liveness: { failures: 2, successes: 1, startPeriodMs: 0 },
  readiness: { failures: 2, successes: 1, startPeriodMs: 0 },
  action: 'notify',
  dryRun: false,
  restartOnExit: false,
  engineRestarts: false,
  backoff: { initialMs: 1_000, maxMs: 8_000, resetMs: 60_000 },
  crashloop: { restarts: 5, windowMs: 600_000, action: 'retry' },
};

function load(containers: Record<string, unknown>) {
  const lines: { msg: string; level: number; container?: string; field?: string }[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as (typeof lines)[number]) });
  const dir = mkdtempSync(`${tmpdir()}/healer-state-test-`);
  writeFileSync(`${dir}/state.json`, JSON.stringify({ version: 1, savedAt: 100, containers }));
  const s = new StateFile(`${dir}/state.json`, log);
  s.load();
  return { s, lines };
}
const base = { name: 'api', budget: { restarts: [], level: 0, loop: 'closed' }, lifecycle: 'running', restartCount: 0 };

describe('s24: open alerts in the state file', () => {
  it('reads them; a file without them (older healer) loads; a value it does not know drops only them, with a warning', () => {
    const { s, lines } = load({ a: { ...base, alerts: { unhealthy: 5, not_ready: 7 } }, b: base, c: { ...base, name: 'web', alerts: { unhealthy: 'soon' } } });
    expect(s.get('a')?.alerts).toEqual({ unhealthy: 5, not_ready: 7 });
    expect(s.get('b')).toEqual({ ...base, savedAt: 100 });
    expect(s.get('c')).toEqual({ ...base, name: 'web', savedAt: 100 });
    expect(lines.filter((l) => l.level === 40).map((l) => `${l.container ?? ''} ${l.field ?? ''}`)).toEqual(['web alerts.unhealthy']);
  });

  it('a failing run below the threshold has nothing open; a verdict opens it from its first failure; a pass ends it', () => {
    let st = initialState({ running: true, startedAt: 0 });
    st = step(st, { type: 'probe', role: 'liveness', ok: false, at: 1_000 }, rules).state;
    expect(openAlerts(st)).toBeUndefined();
    st = step(st, { type: 'probe', role: 'liveness', ok: false, at: 2_000 }, rules).state;
    expect(openAlerts(st)).toEqual({ unhealthy: 1_000 });
    expect(openAlerts(step(st, { type: 'probe', role: 'liveness', ok: true, at: 3_000 }, rules).state)).toBeUndefined();
  });

  it('restored, the machine ends it as live: one recovered measured from the kept failure; failing again alerts nothing new', () => {
    const restored = restoreAlerts(initialState({ running: true, startedAt: 50_000 }), { unhealthy: 1_000, not_ready: 2_000 });
    const failing = step(restored, { type: 'probe', role: 'liveness', ok: false, at: 51_000 }, rules);
    const again = step(failing.state, { type: 'probe', role: 'liveness', ok: false, at: 52_000 }, rules);
    expect([...failing.actions, ...again.actions].filter((a) => a.type === 'notify')).toEqual([]);
    const up = step(again.state, { type: 'probe', role: 'liveness', ok: true, at: 60_000 }, rules);
    expect(up.actions).toEqual([{ type: 'notify', event: 'recovered', reason: 'probes pass again', recoveryMs: 59_000 }]);
    const more = step(up.state, { type: 'probe', role: 'liveness', ok: true, at: 61_000 }, rules);
    expect(more.actions).toEqual([]);
    const ready = step(up.state, { type: 'probe', role: 'readiness', ok: true, at: 61_000 }, rules);
    expect(ready.actions).toEqual([{ type: 'notify', event: 'ready', reason: 'readiness probes pass' }]);
    expect(openAlerts(ready.state)).toBeUndefined();
  });
});
