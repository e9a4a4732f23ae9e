import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { NO_HISTORY } from '../../src/watchdog/history.ts';
import { systemClock } from '../../src/watchdog/clock.ts';
import { TaskSlots } from '../../src/watchdog/slot-watch.ts';
import { StateFile } from '../../src/watchdog/state-file.ts';

// Review 12. TaskSlots.endWhenQuiet (slot-watch.ts) arms `setTimeout(lookQuiet, last + windowMs - now)`
// with no upper bound. Every configured duration is capped at Node's timer limit (fields.ts
// MAX_DURATION_MS: "Node's timers fire at once for anything longer"), but `last` comes from the state file:
// when the host clock is behind the file's times by more than ~24.8 days (a board whose RTC lost its time
// and boots before NTP, a clock reset), the delay exceeds 2^31-1 ms, Node fires it after 1 ms (with a
// TimeoutOverflowWarning on stderr), lookQuiet finds the failure still "in the window" (now - at < 0),
// and arms the same overflowing timer again: a 1 ms loop (a state lookup, a Map write and a process
// warning each turn) for as long as the clock stays behind. It should wait (at most the timer limit,
// then look again) instead.

describe('review12: an open slot alert whose latest failure lies beyond the timer limit ahead of the clock', () => {
  it('does not spin lookQuiet every millisecond', async () => {
    const dir = mkdtempSync(`${tmpdir()}/healer-r12-overflow-`);
    const ahead = Date.now() + 40 * 24 * 3_600_000; // the file was written when the clock read 40 days later
    const slot = { failures: [{ task: 't0', at: ahead, kind: 'exit', exitCode: 3 }], alertedAt: ahead, alertedId: 'web.1@t0' };
    writeFileSync(`${dir}/state.json`, JSON.stringify({ version: 1, savedAt: ahead, slots: { 'web.1': slot }, containers: {} }));
    const state = new StateFile(`${dir}/state.json`, pino({ level: 'silent' }));
    state.load();
    expect(state.slot('web.1')?.alertedId).toBe('web.1@t0');
    let looks = 0;
    const read = state.slot.bind(state);
    state.slot = (key: string) => {
      looks++;
      return read(key);
    };
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    const slots = new TaskSlots({ state, clock: systemClock, alerter: { emit: () => undefined, containerGone: () => undefined }, history: NO_HISTORY, throttleMs: 3_600_000, crashloops: 'node', defaultWindowMs: 600_000 });
    try {
      slots.start();
      await sleep(200);
    } finally {
      slots.stop();
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w === 'TimeoutOverflowWarning')).toEqual([]);
    expect(looks).toBeLessThanOrEqual(2); // start() reads it once; a timer may look once more
  });
});
