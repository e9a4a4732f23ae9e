/** healer's own V8 flags (Dockerfile ENTRYPOINT, npm start), so the bench's figures are those of the product. */
export const NODE_FLAGS = ['--max-semi-space-size=4', '--heap-growing-percent=10', '--v8-pool-size=2', '--liftoff-only', '--memory-saver-mode'];
