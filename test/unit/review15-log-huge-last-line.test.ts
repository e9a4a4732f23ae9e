import { describe, expect, it } from 'vitest';
import { LOG_BYTES } from '../../src/docker/engine.ts';
import { frame, logEngines } from '../helpers/log-engine.ts';

// Review 15 (adversarial review of the streamed 64 KiB log tail, 81eb08e).
// Trigger: the container's last line is longer than LOG_BYTES (a crash dumped as one JSON line, a Java
//   stack trace on one line, a base64 blob): `fatal: {"error": ...100 KiB...}`. An alert reads its last
//   20 lines (multiplexed frames, Engine API 1.41 as Docker sends them).
// Observed: Engine.logs keeps the last 64 KiB, which is the END of that line, flags it cut and drops it:
//   the alert's log lines are EMPTY (not even 'started'), with no word that anything was left out.
//   Before 81eb08e the alert showed the line's first 500 characters (alerter cuts each line to 500):
//   the 'fatal: ...' that tells the on-call why the container died.
// Expected: the newest line is still represented (its start, as alerts show every line), not silently
//   removed; an alert about a crash never loses the crash's own line for being long.
const engineSending = logEngines();

describe('review15: an alert about a container whose last line is huge', () => {
  it('still carries that line (its start), not no lines at all', async () => {
    const blob = `fatal: ${JSON.stringify({ error: 'out of memory', dump: 'y'.repeat(LOG_BYTES + 40_000) })}\n`;
    const engine = await engineSending(Buffer.concat([frame(1, 'started\n'), frame(2, blob)]));
    const lines = await engine.logs('c', 20);
    expect(lines.length, 'the alert has no log lines at all').toBeGreaterThan(0);
    expect(lines.at(-1)?.startsWith('fatal: ')).toBe(true);
  });
});
