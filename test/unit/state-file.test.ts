import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ContainerInfo } from '../../src/docker/types.ts';
import { exitToResume } from '../../src/watchdog/exits.ts';
import { WRITE_GAP_MS, StateFile, type PersistedContainer } from '../../src/watchdog/state-file.ts';

function logged() {
  const lines: { msg: string; level: number }[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string; level: number }) });
  return { log, lines };
}
const entry: PersistedContainer = {
  name: 'api',
  budget: { restarts: [1, 2], level: 2, lastRestartAt: 2, loop: 'open', healthySince: undefined },
  lastExit: { at: 3, exitCode: 1, oom: false },
  lifecycle: 'exited',
  restartCount: 0,
};

describe('StateFile', () => {
  it('round-trips entries through an atomic write, leaving no temporary file', async () => {
    const dir = mkdtempSync(`${tmpdir()}/healer-state-test-`);
    const { log } = logged();
    const a = new StateFile(`${dir}/sub/state.json`, log);
    a.load();
    a.set('abc', entry);
    expect(await a.flush()).toBe(true);
    expect(readdirSync(`${dir}/sub`)).toEqual(['state.json']);
    const b = new StateFile(`${dir}/sub/state.json`, log);
    b.load();
    expect(b.get('abc')).toEqual({ ...entry, savedAt: b.get('abc')?.savedAt }); // savedAt: when the file was written
    b.delete('abc');
    await b.flush();
    const c = new StateFile(`${dir}/sub/state.json`, log);
    c.load();
    expect(c.get('abc')).toBeUndefined();
  });

  it.each([
    ['not JSON', '{"version":1,'],
    // (A wrong container entry inside a right frame costs that entry only: s23-state-file-tolerant.test.ts.)
    ['the wrong shape', JSON.stringify({ version: 1, savedAt: 1, containers: [{ x: { name: 'x', budget: { restarts: 'many' } } }] })],
    ['another version', JSON.stringify({ version: 9, savedAt: 1, containers: {} })],
  ])('reports a corrupt file (%s), starts empty, and replaces it on the next write', async (_what, text) => {
    const dir = mkdtempSync(`${tmpdir()}/healer-state-test-`);
    writeFileSync(`${dir}/state.json`, text);
    const { log, lines } = logged();
    const s = new StateFile(`${dir}/state.json`, log);
    s.load();
    expect(lines.find((l) => l.level === 50)?.msg).toBe('the state file is corrupt; it will be replaced; restart history starts afresh');
    s.set('abc', entry);
    await s.flush();
    expect((JSON.parse(readFileSync(`${dir}/state.json`, 'utf8')) as { version: number }).version).toBe(1);
  });

  it('coalesces changes: many sets are one write, at most one per WRITE_GAP_MS, and none without changes', async () => {
    const dir = mkdtempSync(`${tmpdir()}/healer-state-test-`);
    const s = new StateFile(`${dir}/state.json`, logged().log);
    for (let i = 0; i < 100; i++) s.set(`c${i}`, entry);
    expect(s.writes).toBe(0);
    await new Promise((r) => setTimeout(r, 20));
    await s.idle();
    expect(s.writes).toBe(1); // the first change after a quiet spell goes out at once (next turn)
    s.set('late', entry);
    await new Promise((r) => setTimeout(r, 50));
    await s.idle();
    expect(s.writes).toBe(1); // held back: the last write was under WRITE_GAP_MS ago
    await new Promise((r) => setTimeout(r, WRITE_GAP_MS));
    await s.idle();
    expect(s.writes).toBe(2);
    expect(await s.flush()).toBe(true);
    expect(s.writes).toBe(2);
    const back = new StateFile(`${dir}/state.json`, logged().log);
    back.load();
    expect(back.get('c99')).toEqual({ ...entry, savedAt: back.get('c99')?.savedAt });
    expect(back.get('late')).toEqual({ ...entry, savedAt: back.get('late')?.savedAt });
  });

  it('starts empty without a file, and says so', () => {
    const { log, lines } = logged();
    const s = new StateFile(`${mkdtempSync(`${tmpdir()}/healer-state-test-`)}/none.json`, log);
    s.load();
    expect(lines.map((l) => l.msg)).toEqual(['no state file yet; starting with no restart history']);
    expect(existsSync(s.path)).toBe(false);
  });

  it.each([
    ['under /proc', '/proc/healer-cannot-write/state.json'],
    ['under a regular file', `${mkdtempSync(`${tmpdir()}/healer-state-test-`)}/file/state.json`],
  ])('reports a failed write %s at once, instead of throwing or hanging', async (_what, path) => {
    if (path.includes('/file/')) writeFileSync(path.replace('/state.json', ''), 'not a directory');
    const { log, lines } = logged();
    const s = new StateFile(path, log);
    s.set('abc', entry);
    expect(await s.flush()).toBe(false);
    expect(lines.at(-1)?.msg).toBe('cannot write the state file; restart history may be lost on restart');
  });
});

describe('exitToResume', () => {
  const info = (exitCode: number, oomKilled = false) => ({ exitCode, oomKilled, finishedAt: 50 }) as ContainerInfo;
  const was = (lifecycle: PersistedContainer['lifecycle']): PersistedContainer => ({ ...entry, lifecycle, lastExit: lifecycle === 'exited' ? entry.lastExit : undefined });
  it.each([
    ['a crash healer saw', info(1), was('exited'), entry.lastExit],
    // Found by the model test: started again, then stopped by an operator just before healer was SIGKILLed.
    ['a crash healer saw, then a run an operator stopped before healer saved it', info(143), was('exited'), undefined],
    ['an operator stop healer saw', info(1), was('stopped'), undefined],
    // Review: started again after healer last saved (healer down, or SIGKILLed before it wrote), then crashed.
    ['a crash of a run started after healer last saved an operator stop', { ...info(3), startedAt: 40 }, { ...was('stopped'), savedAt: 30 }, { at: 50, exitCode: 3, oom: false }],
    ['an operator stop healer saved after the run started', { ...info(3), startedAt: 40 }, { ...was('stopped'), savedAt: 45 }, undefined],
    ['an exit 3 while healer was away', info(3), was('running'), { at: 50, exitCode: 3, oom: false }],
    ['an OOM kill while healer was away', info(137, true), was('running'), { at: 50, exitCode: 137, oom: true }],
    ['a docker stop (143) while healer was away', info(143), was('running'), undefined],
    ['a docker stop (137) while healer was away', info(137), was('running'), undefined],
    ['a clean exit while healer was away', info(0), was('running'), undefined],
    // Found at start-up, seen or not: a crash within the crash-loop window is resumed (issue 13).
    ['a crash before healer first saw the container', info(3), undefined, { at: 50, exitCode: 3, oom: false }],
    ['an OOM kill before healer first saw the container', info(137, true), undefined, { at: 50, exitCode: 137, oom: true }],
    ['a docker stop before healer first saw the container', info(143), undefined, undefined],
  ])('%s', (_what, i, persisted, expected) => {
    expect(exitToResume(i, persisted, 1_000, 600_000)).toEqual(expected);
  });

  it('leaves a crash older than the crash-loop window alone', () => {
    expect(exitToResume(info(3), undefined, 50 + 600_001, 600_000)).toBeUndefined();
    expect(exitToResume(info(3), undefined, 50 + 600_000, 600_000)).toEqual({ at: 50, exitCode: 3, oom: false });
  });
});
