import type { BodyPattern } from './body-pattern.ts';
import type { ProbeSpec } from './probe-spec.ts';
import type { PolicyOutput, ProbeOptionsOutput } from './schema.ts';

/** How one probe (liveness or readiness) of one container runs and is judged. */
export interface ProbePolicy {
  readonly spec: ProbeSpec;
  readonly intervalMs: number;
  /** Cron with seconds; when set it replaces the interval. */
  readonly schedule: string | undefined;
  readonly timeoutMs: number;
  readonly failures: number;
  readonly successes: number;
  readonly startPeriodMs: number;
  readonly status: readonly (readonly [number, number])[];
  /** Matched in linear time: a label's pattern cannot stall the event loop. */
  readonly body: BodyPattern | undefined;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The host is a name a label set that watchdog.yml does not list: resolved at each probe, used only
   * when every address is the container's own, and connected to that address (probes/pin.ts).
   */
  readonly pinOwn?: boolean | undefined;
  /**
   * The probe's target is a label's (http/tcp): judged again at each probe on the address it goes to,
   * as a container's addresses change when it starts again (watchdog/probe-route.ts).
   */
  readonly confined?: boolean | undefined;
  /**
   * Which of the container's probes this is: what one probe leaves behind (an exec still running past its
   * timeout, docker/exec.ts) is that probe's alone, never another's failure. Set for every policy built here.
   */
  readonly role?: 'liveness' | 'readiness' | undefined;
}

/** The effective, frozen policy for one container: built-in defaults, then watchdog.yml, env, labels. */
export interface Policy {
  readonly liveness: ProbePolicy | undefined;
  readonly readiness: ProbePolicy | undefined;
  readonly action: 'restart' | 'stop' | 'notify';
  readonly restartTimeoutMs: number;
  readonly restartOnExit: boolean;
  readonly network: string | undefined;
  readonly backoff: { readonly initialMs: number; readonly maxMs: number; readonly resetMs: number };
  readonly crashloop: { readonly restarts: number; readonly windowMs: number; readonly action: 'retry' | 'giveup' };
  /** For containers an orchestrator owns (Swarm tasks): how a failing one is handed back, and who acts on its HEALTHCHECK. */
  readonly task: { readonly replace: 'remove' | 'stop'; readonly healthcheck: 'orchestrator' | 'healer'; readonly orphans: 'report' | 'remove' };
  readonly dependsOn: readonly string[];
  /** Alert channel names; undefined: every channel; empty: none. */
  readonly alert: readonly string[] | undefined;
}

export function toProbePolicy(o: ProbeOptionsOutput, spec: ProbeSpec | undefined, role: 'liveness' | 'readiness'): ProbePolicy | undefined {
  if (spec === undefined) return undefined;
  return {
    spec,
    intervalMs: o.interval,
    schedule: o.schedule,
    // A probe never outlasts its interval (it would overlap the next one); an explicit longer timeout
    // is a label error (labels.ts), a default one is cut to fit.
    timeoutMs: o.schedule === undefined ? Math.min(o.timeout, o.interval) : o.timeout,
    failures: o.failures,
    successes: o.successes,
    startPeriodMs: o.start_period,
    status: o.status,
    body: o.body,
    method: o.method,
    headers: o.header,
    role,
  };
}

/**
 * Turns the parsed schema output into a Policy. A container whose image has a HEALTHCHECK and no other
 * liveness probe is watched through Docker's own health status.
 */
export function toPolicy(p: PolicyOutput, imageHasHealthcheck: boolean): Policy {
  const livenessSpec: ProbeSpec | undefined = p.liveness.probe ?? (imageHasHealthcheck ? { kind: 'docker' } : undefined);
  return {
    liveness: toProbePolicy(p.liveness, livenessSpec, 'liveness'),
    readiness: toProbePolicy(p.readiness, p.readiness.probe, 'readiness'),
    action: p.action,
    restartTimeoutMs: p.restart.timeout,
    restartOnExit: p.restart.on_exit,
    network: p.network,
    backoff: { initialMs: p.backoff.initial, maxMs: p.backoff.max, resetMs: p.backoff.reset },
    crashloop: { restarts: p.crashloop.restarts, windowMs: p.crashloop.window, action: p.crashloop.action },
    task: { replace: p.task.replace, healthcheck: p.task.healthcheck, orphans: p.task.orphans },
    dependsOn: p.depends_on ?? [],
    alert: p.alert === undefined ? undefined : p.alert.includes('none') ? [] : p.alert,
  };
}
