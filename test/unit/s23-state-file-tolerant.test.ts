import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { StateFile } from '../../src/watchdog/state-file.ts';

// A state file written by a newer healer (a downgrade, a rollback) may hold a value this version does not
// know: an owedStart cause added later, a lifecycle or crash-loop state added later. Read strictly, one
// such value made the whole file "corrupt": every container's backoff, crash-loop window and owed start
// was lost. Now the one entry (or the one owed start) is dropped, named with its field, the rest kept.

function logged() {
  const lines: { msg: string; level: number; container?: string; field?: string; slot?: string }[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as (typeof lines)[number]) });
  return { log, lines };
}
const budget = { restarts: [1, 2], level: 2, lastRestartAt: 2, loop: 'open' };
const good = { name: 'db', budget, lastExit: { at: 3, exitCode: 1, oom: false }, lifecycle: 'exited', restartCount: 4, owedStart: { reason: 'r', cause: 'exit' } };
const file = {
  version: 1,
  savedAt: 100,
  slots: {
    's1/1': { failures: [{ task: 't1', at: 5, kind: 'exit', exitCode: 1 }], alertedAt: 6 },
    's2/1': { failures: [{ task: 't2', at: 5, kind: 'evicted' }] },
  },
  containers: {
    a1: { ...good, name: 'api', owedStart: { reason: 'restarted by a newer healer', cause: 'drain' } },
    b2: good,
    c3: { ...good, name: 'cache', lifecycle: 'hibernating' },
    d4: { ...good, name: 'web', budget: { ...budget, loop: 'half_open' } },
  },
};

describe('s23: a state file with values this version does not know', () => {
  it('drops only the unknown: an owed start with an unknown cause, a container with an unknown value; keeps the rest, named in a warning', async () => {
    const dir = mkdtempSync(`${tmpdir()}/healer-state-test-`);
    writeFileSync(`${dir}/state.json`, JSON.stringify(file));
    const { log, lines } = logged();
    const s = new StateFile(`${dir}/state.json`, log);
    s.load();
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    // The container whose owed start is unknown keeps its budget and exit; only the owed start goes.
    expect(s.get('a1')).toEqual({ name: 'api', budget, lastExit: good.lastExit, lifecycle: 'exited', restartCount: 4, savedAt: 100 });
    expect(s.get('b2')).toEqual({ ...good, savedAt: 100 });
    expect(s.get('c3')).toBeUndefined();
    expect(s.get('d4')).toBeUndefined();
    expect(s.slot('s1/1')).toEqual({ failures: [{ task: 't1', at: 5, kind: 'exit', exitCode: 1 }], alertedAt: 6 });
    expect(s.slot('s2/1')).toBeUndefined();
    const warned = lines.filter((l) => l.level === 40).map((l) => `${l.container ?? l.slot ?? ''} ${l.field ?? ''}`);
    expect(warned).toEqual(['s2/1 failures.0.kind', 'api owedStart.cause', 'cache lifecycle', 'web budget.loop']);
    // Written back in the same form as ever (what was dropped is not written).
    s.set('e5', { name: 'e', budget: { restarts: [], level: 0, loop: 'closed', lastRestartAt: undefined, healthySince: undefined }, lastExit: undefined, lifecycle: 'running', restartCount: 0 });
    expect(await s.flush()).toBe(true);
    const back = JSON.parse(readFileSync(`${dir}/state.json`, 'utf8')) as { version: number; containers: Record<string, unknown>; slots: Record<string, unknown> };
    expect(back.version).toBe(1);
    expect(Object.keys(back.containers).sort()).toEqual(['a1', 'b2', 'e5']);
    expect(back.containers.a1).toEqual({ name: 'api', budget, lastExit: good.lastExit, lifecycle: 'exited', restartCount: 4 });
    expect(Object.keys(back.slots)).toEqual(['s1/1']);
  });

  it('a file whose own frame is wrong is still corrupt as a whole', () => {
    const dir = mkdtempSync(`${tmpdir()}/healer-state-test-`);
    writeFileSync(`${dir}/state.json`, JSON.stringify({ ...file, savedAt: 'yesterday' }));
    const { log, lines } = logged();
    const s = new StateFile(`${dir}/state.json`, log);
    s.load();
    expect(lines.find((l) => l.level === 50)?.msg).toBe('the state file is corrupt; it will be replaced; restart history starts afresh');
    expect(s.size).toBe(0);
  });
});
