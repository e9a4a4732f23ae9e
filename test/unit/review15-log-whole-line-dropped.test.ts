import { describe, expect, it } from 'vitest';
import { LOG_BYTES } from '../../src/docker/engine.ts';
import { frame, logEngines } from '../helpers/log-engine.ts';

// Review 15 (adversarial review of the streamed 64 KiB log tail, 81eb08e). Low severity.
// Trigger: 20 log lines of 4 KiB each (80 KiB, over LOG_BYTES), one multiplexed frame per line, as
//   Docker sends them.
// Observed: readTail drops older output whole frames at a time, so what it keeps starts exactly at a
//   line's start; it still sets `cut`, and Engine.logs then shifts off that first line as "a part of a
//   line": 15 lines where 16 complete ones (exactly LOG_BYTES) were kept.
// Expected: only a line really cut at its start is left out: the 16 newest lines, all whole.
const engineSending = logEngines();

describe('review15: log tail over LOG_BYTES made of whole lines', () => {
  it('keeps every whole line that fits', async () => {
    const line = (i: number): string => `${String(i).padStart(2, '0')}:${'z'.repeat(4096 - 4)}\n`;
    const output = Buffer.concat(Array.from({ length: 20 }, (_, i) => frame(1, line(i))));
    const engine = await engineSending(output);
    const lines = await engine.logs('c', 20);
    expect(lines.every((l) => l.length === 4095)).toBe(true);
    expect(lines.length).toBe(LOG_BYTES / 4096);
  });
});
