// How long Podman's events are held to read them as Docker's (event-normaliser.ts), and the exit codes
// that tell a stop from a crash; apart so the tests that replay streams name the same numbers.

/**
 * How long an event is held to see what follows it on Podman. Measured on podman 4.3: `stop` comes
 * a few tens of ms before its `die`; a kill's `die` within ~50 ms; a `die` never more than ~50 ms
 * before a `stop` even when another client syncs the container in between.
 */
export const HOLD_MS = 1_000;
/**
 * How long a held `die` waits for the `cleanup` events that tell a stop (two) from an exit on its own (one),
 * counted from the `die`. Both kinds' last cleanup is conmon's: a `podman container cleanup` process of its
 * own, which a slow or loaded host (a Raspberry Pi) may start well after HOLD_MS; a stop read as an exit
 * would be started again with on_exit. An exit on its own is told this much later (a restart needs the
 * container running, so nothing is done to a stopped container meanwhile).
 */
export const SECOND_CLEANUP_MS = 5_000;
/** 128 + SIGTERM: the exit code of a process ended by SIGTERM's default action. */
export const SIGTERM_EXIT = 143;
/** 128 + SIGKILL. */
export const SIGKILL_EXIT = 137;
/** Podman's `restart` comes first; it is released after the container's next `start`, or after this. */
export const RESTART_HOLD_MS = 120_000;
