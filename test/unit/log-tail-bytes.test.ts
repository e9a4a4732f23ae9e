import { describe, expect, it } from 'vitest';
import { LOG_BYTES } from '../../src/docker/engine.ts';
import { frame, logEngines } from '../helpers/log-engine.ts';

// An alert reads its container's last lines (GET /containers/{id}/logs?tail=20). Twenty lines are
// small, unless the app logs huge ones (a JSON blob, a stack dump on one line): dockerode reads a
// non-following log whole into memory, so each read held all of it, LOG_READS of them at once in an
// alert storm. Now at most LOG_BYTES of the newest output is kept. An HTTP server answers as Engine API
// 1.41 does, multiplexed frames written in pieces that cut frame headers apart.

const logEngine = logEngines();
/** Written in pieces of 5 bytes and then 1 MiB, so frame headers are split across chunks. */
const engineSending = (output: Buffer, tty = false) => logEngine(output, { tty, split: true });

describe('the log lines an alert reads', () => {
  it(`keep at most ${LOG_BYTES} bytes of the newest output, whatever the lines' size`, async () => {
    const huge = 'x'.repeat(4 << 20);
    const parts = [frame(1, 'started\n'), ...Array.from({ length: 5 }, (_, i) => frame(i % 2 === 0 ? 1 : 2, `${i}:${huge}\n`)), frame(2, 'fatal: out of disk\n'), frame(1, 'exiting\n')];
    const engine = await engineSending(Buffer.concat(parts));
    const lines = await engine.logs('c', 20);
    expect(lines.join('\n').length).toBeLessThanOrEqual(LOG_BYTES);
    expect(lines.slice(-2)).toEqual(['fatal: out of disk', 'exiting']);
    // The line cut at its start is left out, not passed off as a whole one.
    expect(lines.every((l) => !l.startsWith('x'))).toBe(true);
  });

  it('are read whole when small, multiplexed or raw (TTY)', async () => {
    const framed = await engineSending(Buffer.concat([frame(1, 'one\n'), frame(2, 'two\nthree\n')]));
    expect(await framed.logs('c', 20)).toEqual(['one', 'two', 'three']);
    expect(await framed.logs('c', 2)).toEqual(['two', 'three']);
    const raw = await engineSending(Buffer.from('tty one\ntty two\n'), true);
    expect(await raw.logs('c', 20)).toEqual(['tty one', 'tty two']);
    const short = await engineSending(Buffer.from('hi\n'), true);
    expect(await short.logs('c', 20)).toEqual(['hi']);
  });
});
