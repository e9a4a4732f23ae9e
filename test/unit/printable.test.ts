import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { printable } from '../../src/printable.ts';

// Review 14 (check escapes): label text reaches the operator's terminal through `healer check`, the CLI's
// warnings and pretty log lines; control characters in it are shown escaped, never sent raw.

describe('printable', () => {
  it('escapes C0, DEL, C1, line separators and bidi overrides, and leaves other text alone', () => {
    expect(printable('web\u001b[1A\u001b[2K')).toBe('web\\x1b[1A\\x1b[2K');
    expect(printable('a\nb\rc\td\u007f\u009b')).toBe('a\\x0ab\\x0dc\\x09d\\x7f\\x9b');
    expect(printable('x\u202ey\u2028')).toBe('x\\u202ey\\u2028');
    expect(printable('café ✓ db-1')).toBe('café ✓ db-1');
  });

  it('a pretty log line shows a control sequence in its message escaped', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (b: Buffer) => (text += b.toString()));
    const log = createLogger({ level: 'info', format: 'pretty' }, out);
    log.info({ container: 'x' }, 'container web\u001b]52;c;cHduZWQ=\u0007 restarted');
    log.flush();
    await new Promise((r) => setTimeout(r, 50));
    expect(text).toContain('container web\\x1b]52;c;cHduZWQ=\\x07 restarted');
    expect(text).not.toContain('\u001b]52');
  });
});
