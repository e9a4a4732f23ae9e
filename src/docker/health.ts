import type Docker from 'dockerode';
import type { HealthcheckTiming, HealthRun } from './types.ts';

/** The engine's HEALTHCHECK defaults (moby's and Podman's alike) for a setting left at 0 or unset. */
const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 3;

/**
 * A HEALTHCHECK's timing from Config.Healthcheck (nanoseconds, 0 for the default), in ms: how long after
 * an unpause a check made since must have run. Undefined without a HEALTHCHECK.
 */
export function healthcheckTiming(hc: Docker.HealthConfig | undefined): HealthcheckTiming | undefined {
  const test = hc?.Test;
  if (!Array.isArray(test) || test.length === 0 || test[0] === 'NONE') return undefined;
  const ms = (ns: number | undefined, dflt: number): number => (typeof ns === 'number' && ns > 0 ? ns / 1e6 : dflt);
  return {
    intervalMs: ms(hc?.Interval, DEFAULT_INTERVAL_MS),
    timeoutMs: ms(hc?.Timeout, DEFAULT_TIMEOUT_MS),
    retries: typeof hc?.Retries === 'number' && hc.Retries > 0 ? hc.Retries : DEFAULT_RETRIES,
  };
}

/** One entry of State.Health.Log as Docker and Podman give it (times as RFC 3339 with nanoseconds). */
interface LogEntry {
  readonly Start?: string;
  readonly End?: string;
  readonly ExitCode?: number;
}

/**
 * State.Health.Log (the engine's last checks, oldest first; Docker keeps 5, Podman more), with the
 * engine's times in ms: what tells a check made after an unpause from the ones the pause refused.
 * Entries whose times do not parse are left out; undefined when the engine gives no log.
 */
export function healthRuns(health: { Log?: readonly LogEntry[] | null } | undefined): readonly HealthRun[] | undefined {
  const log: unknown = health?.Log;
  if (!Array.isArray(log)) return undefined;
  const runs: HealthRun[] = [];
  for (const e of log as readonly LogEntry[]) {
    const start = Date.parse(e.Start ?? '');
    if (!Number.isFinite(start)) continue;
    const end = Date.parse(e.End ?? '');
    runs.push({ start, end: Number.isFinite(end) ? end : start, ok: e.ExitCode === 0 });
  }
  return runs;
}
