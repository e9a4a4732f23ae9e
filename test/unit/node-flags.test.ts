import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NODE_ENV_VARS, NODE_FLAGS } from '../../bench/flags.ts';

// healer runs node with a few V8 flags (they keep RSS near the live heap at thousands of probes a
// second); the image, npm start and the bench must agree, or the bench measures something else.
const read = (p: string): string => readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');
const FLAGS = ['--max-semi-space-size=4', '--heap-growing-percent=10', '--v8-pool-size=2', '--liftoff-only', '--memory-saver-mode', '--bytecode-old-age=1', '--flush-baseline-code', '--no-maglev'];
const TUNABLES = 'glibc.malloc.trim_threshold=0:glibc.malloc.top_pad=0:glibc.malloc.mmap_threshold=32768';

describe('node flags', () => {
  it('are the same in the Dockerfile, npm start, npm run healer and the bench, and so is glibc malloc\'s tuning', () => {
    const entry = /^ENTRYPOINT (\[.*\])$/m.exec(read('Dockerfile'))?.[1];
    expect(JSON.parse(entry ?? '[]')).toEqual(['node', ...FLAGS, '/app/dist/cli.js']);
    expect(/^\s+GLIBC_TUNABLES=(\S+) \\$/m.exec(read('Dockerfile'))?.[1]).toBe(TUNABLES);
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.start).toBe(`npm run build && GLIBC_TUNABLES=${TUNABLES} node ${FLAGS.join(' ')} dist/cli.js`);
    expect(scripts.healer).toBe(`GLIBC_TUNABLES=${TUNABLES} node ${FLAGS.join(' ')} dist/cli.js`);
    expect(NODE_FLAGS).toEqual(FLAGS);
    expect(NODE_ENV_VARS).toEqual({ GLIBC_TUNABLES: TUNABLES });
  });
});
