/** healer's own V8 flags (Dockerfile ENTRYPOINT, npm start), so the bench's figures are those of the product. */
export const NODE_FLAGS = ['--max-semi-space-size=4', '--heap-growing-percent=10', '--v8-pool-size=2', '--liftoff-only', '--memory-saver-mode', '--bytecode-old-age=1', '--flush-baseline-code', '--no-maglev'];

/**
 * The environment healer runs with (Dockerfile ENV, npm start, npm run healer): glibc's malloc gives
 * freed memory back to the system rather than keeping it for later (no trim threshold, no padding of the
 * heap top, blocks of 32 KB and more mapped on their own); ignored where node is not built on glibc (musl).
 */
export const NODE_ENV_VARS: Readonly<Record<string, string>> = { GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=0:glibc.malloc.top_pad=0:glibc.malloc.mmap_threshold=32768' };
