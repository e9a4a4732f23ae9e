import type { Logger } from 'pino';
import type { Policy } from '../config/policy.ts';
import type { ContainerInfo } from '../docker/types.ts';
import type { EventReader } from './event-reader.ts';
import type { Input, MachineState } from './machine-types.ts';
import { STOP_GRACE_MARGIN_MS, survivalAfterMs } from './stop-window.ts';

/** What the survival rule reads of a watch (a ContainerWatch; narrow, so the rule is tested alone). */
export interface SurvivalView {
  readonly events: EventReader;
  readonly policy: Pick<Policy, 'liveness'>;
  readonly info: Pick<ContainerInfo, 'healthcheck'>;
  readonly state: Pick<MachineState, 'liveness'>;
  readonly log: Pick<Logger, 'info' | 'warn'>;
}

/** The endless stops already told about (one warning per stop signal, not one per failed check). */
const told = new WeakMap<EventReader, number>();

/**
 * A stop whose grace has no end (a negative StopTimeout) would hold healer's restarts for ever when the
 * container survives its signal (an app that traps SIGTERM and runs on; an interrupted `docker stop`):
 * never healed again until re-created, and nobody told. It ends here, before `input` is fed, once the
 * container is seen passing its liveness check well after the signal (survivalAfterMs: a container still
 * on its way out does not pass; for a HEALTHCHECK, by checks that ran then: stillHealthyAfter): then restarts resume (logged), and its next crash is a crash. A container
 * that fails its check all along may still be exiting: healer holds on (never restarting a stop under way)
 * and says so once, with how to end it.
 */
export function noteSurvival(w: SurvivalView, input: Input, now: number): void {
  const since = w.events.endlessSince;
  const liveness = w.policy.liveness;
  if (since === undefined || liveness === undefined) return;
  const docker = liveness.spec.kind === 'docker';
  const after = survivalAfterMs(docker ? w.info.healthcheck : undefined);
  if (now < since + after) return;
  const passing = (input.type === 'probe' && input.role === 'liveness' && input.ok) || (input.type === 'health' && input.status === 'healthy') || (docker && stillHealthyAfter(w, now, since + after));
  const sinceS = Math.round((now - since) / 1000);
  if (passing) {
    w.events.survived();
    w.log.info({ sinceS }, 'the container survived its stop signal (still running and passing its check): its stop grace has no end (StopTimeout < 0), so its stop is over and restarts resume');
    return;
  }
  // (Or already failing at the wake of a held decision: a HEALTHCHECK says `unhealthy` only once.)
  const failing = (input.type === 'probe' && input.role === 'liveness' && !input.ok) || (input.type === 'health' && input.status === 'unhealthy') || w.state.liveness.up === false;
  if (!failing || told.get(w.events) === since) return;
  told.set(w.events, since);
  w.log.warn({ sinceS }, 'stop signal sent and the container still runs, failing its check; its stop grace has no end (StopTimeout < 0), so it may still be on its way out: healer does not restart it until it exits or passes its check again (docker kill or docker restart it to end this)');
}

/**
 * Whether a HEALTHCHECK that was `healthy` before this input proves a check passed at or after `mark`. It
 * says nothing until it changes, so its `healthy` is only as fresh as the checks that could have turned
 * it `unhealthy` since: the last passing one ran at most retries × (interval + timeout) (and a margin, the
 * event stream's lag) before now. Never the input's own verdict: an `unhealthy` says its last checks
 * failed (a draining app passing its check for 50 s, `unhealthy` at 65 s, is still on its way out).
 */
function stillHealthyAfter(w: SurvivalView, now: number, mark: number): boolean {
  const hc = w.info.healthcheck;
  if (hc === undefined || w.state.liveness.up !== true) return false;
  return now - hc.retries * (hc.intervalMs + hc.timeoutMs) - STOP_GRACE_MARGIN_MS >= mark;
}
