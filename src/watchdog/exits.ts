import type { ContainerInfo } from '../docker/types.ts';
import type { Input, Pending } from './machine-types.ts';
import type { PersistedContainer } from './state-file.ts';

/** Exit codes `docker stop` leaves behind (clean, SIGKILL after the grace, SIGTERM). */
export const STOP_CODES: ReadonlySet<number> = new Set([0, 137, 143]);

/** Whether an exit found in inspect data (not seen as it happened) reads as a crash: never a `docker stop`'s codes. */
export function crashedExit(info: Pick<ContainerInfo, 'exitCode' | 'oomKilled'>): boolean {
  return info.oomKilled || !STOP_CODES.has(info.exitCode);
}

/**
 * How a container healer found down went down, when its events did not say: a crash by its exit code
 * (at `exitAt`), otherwise someone's stop.
 */
export function downFromInspect(info: Pick<ContainerInfo, 'exitCode' | 'oomKilled'>, at: number, exitAt = at): Extract<Input, { type: 'stopped' }> {
  return crashedExit(info) ? { type: 'stopped', by: 'exit', at: exitAt, exitCode: info.exitCode, oom: info.oomKilled } : { type: 'stopped', by: 'operator', at };
}

/**
 * The start healer owed when it last saved, when the container is still down and nobody started it
 * since: its exit is healer's own stop. Either its restart's start was refused, or healer sent a restart
 * (at `owedStart.at`) and was killed before the answer: then only if the container went down after that
 * and no later than the restart's stop could end (`stopWithinMs`, its grace and the engine's answer
 * time); a later exit, or a start since, is someone else's doing (an operator's stop, a re-run).
 */
export function owedStartToResume(info: Pick<ContainerInfo, 'startedAt' | 'finishedAt'>, persisted: PersistedContainer | undefined, stopWithinMs: number): Pending | undefined {
  const owed = persisted?.owedStart;
  if (!owed) return undefined;
  const { reason, cause, at } = owed;
  if (at !== undefined) {
    if (persisted?.lifecycle !== 'restarting' || startedSince(info, persisted)) return undefined;
    // FinishedAt is on the engine's clock: compared with the send time on that clock, read as the restart
    // went out (a remote engine's may be minutes off healer's), widened by that read's slack. A file
    // without it (the read failed, or an older healer wrote it) has healer's clock alone.
    // (A second's allowance for the engine's and healer's rounding of the same clock.)
    const sent = owed.engineAt ?? at;
    const slack = owed.engineSlackMs ?? 0;
    // The restart was counted when it was decided (the budget on disk holds it): its start completes it.
    return info.finishedAt >= sent - 1000 - slack && info.finishedAt <= sent + stopWithinMs + slack ? { kind: 'start', reason, cause, completes: true } : undefined;
  }
  if (persisted?.lifecycle !== 'exited') return undefined;
  if (startedSince(info, persisted)) return undefined;
  return { kind: 'start', reason, cause };
}

/**
 * The crash to resume when healer (re)starts and finds the container down: one it saw (state file), or
 * one it finds in the inspect data, seen or not, when the exit reads as a crash (not a code an
 * operator's `docker stop` leaves, or OOM-killed) and happened within the crash-loop window. A
 * container healer last knew as stopped by an operator stays stopped.
 */
export function exitToResume(info: ContainerInfo, persisted: PersistedContainer | undefined, now: number, windowMs: number): PersistedContainer['lastExit'] {
  // Stopped by an operator, as far as healer knew: unless the container was started again after healer
  // last saved what it knew (healer was down, or SIGKILLed before it wrote), when its exit is judged afresh.
  // (A start at the very moment of the save still came after the stop it saved.)
  if (persisted?.lifecycle === 'stopped' && !startedSince(info, persisted)) return undefined;
  // The exit healer saw is the one the engine reports (same code, no later exit): a later run that an
  // operator stopped before healer saved it (SIGKILLed at that moment) leaves a stop's code instead.
  const seen = persisted?.lifecycle === 'exited' ? persisted.lastExit : undefined;
  if (seen && seen.at >= info.finishedAt - 1000 && seen.exitCode === info.exitCode) return seen;
  if (!crashedExit(info) || info.finishedAt <= 0 || now - info.finishedAt > windowMs) return undefined;
  return { at: info.finishedAt, exitCode: info.exitCode, oom: info.oomKilled };
}

/**
 * Whether the container was started after healer last saved what it knew: its StartedAt is later than
 * the one saved (both the engine's clock). A file without it (older healer) falls back to the save time.
 */
export function startedSince(info: Pick<ContainerInfo, 'startedAt'>, persisted: PersistedContainer): boolean {
  if (persisted.startedAt !== undefined) return info.startedAt > persisted.startedAt;
  return persisted.savedAt !== undefined && info.startedAt >= persisted.savedAt;
}
