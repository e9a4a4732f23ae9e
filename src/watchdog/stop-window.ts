/**
 * How long after an operator's stop signal the exit still counts as that operator's stop, at least.
 * `docker stop` sends the stop signal, then SIGKILL after its grace (a second `kill` event, from which
 * the window runs again), so a stop that takes its whole grace is still covered; a signal the container
 * survived does not mark its next crash. Also what covers `docker stop -t N` up to 60 s, whose N no
 * event tells.
 */
export const STOP_SIGNAL_WINDOW_MS = 60_000;

/** Past the container's own grace: the engine's SIGKILL and its kill event arrive a little after it. */
export const STOP_GRACE_MARGIN_MS = 10_000;

/**
 * The window of a stop signal sent to a container whose own stop grace is `graceMs` (its StopTimeout,
 * what `docker stop` without `-t` waits before SIGKILL): a database given `--stop-timeout 90` is still
 * inside the operator's stop at 75 s, and restarting it then would undo that stop. Infinity for a grace
 * with no end (a negative StopTimeout: the engine waits for the exit for ever, and never kills): such a
 * stop lasts until the exit or until the container is seen to have survived its signal (survivalAfterMs).
 */
export function stopWindowMs(graceMs: number | undefined): number {
  if (graceMs === undefined) return STOP_SIGNAL_WINDOW_MS;
  return Math.max(STOP_SIGNAL_WINDOW_MS, graceMs + STOP_GRACE_MARGIN_MS);
}

/**
 * How long after a stop signal with no end a passing check says the container survived it, rather than
 * that it is still on its way out: at least the 60 s window. A draining app has closed its listener, so
 * healer's own probe fails from the signal on; Docker's HEALTHCHECK only says `unhealthy` after `retries`
 * failed checks, so its `healthy` is stale until that long (and the margin) has passed since the signal.
 */
export function survivalAfterMs(healthcheck: { readonly intervalMs: number; readonly timeoutMs: number; readonly retries: number } | undefined): number {
  if (healthcheck === undefined) return STOP_SIGNAL_WINDOW_MS;
  return Math.max(STOP_SIGNAL_WINDOW_MS, healthcheck.retries * (healthcheck.intervalMs + healthcheck.timeoutMs) + STOP_GRACE_MARGIN_MS);
}
