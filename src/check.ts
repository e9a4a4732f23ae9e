import type { LoadedConfig } from './config/load.ts';
import type { Policy, ProbePolicy } from './config/policy.ts';
import { formatDuration } from './config/duration.ts';
import { formatProbeSpec } from './config/probe-spec.ts';
import type { Engine } from './docker/engine.ts';
import type { ContainerInfo } from './docker/types.ts';
import { evaluate, type Verdict } from './watchdog/discover.ts';

export interface CheckRow {
  readonly container: string;
  readonly id: string;
  readonly project: string | undefined;
  readonly service: string | undefined;
  readonly verdict: Verdict;
}

/** Evaluates every container the engine has, as the watchdog would at start-up. */
export async function checkContainers(engine: Engine, loaded: LoadedConfig, self: { ids: string[]; hostname: string }): Promise<CheckRow[]> {
  const rows: CheckRow[] = [];
  for (const id of await engine.listIds()) {
    const info: ContainerInfo | undefined = await engine.inspect(id);
    if (!info) continue;
    const verdict = evaluate(info, loaded, self);
    if (verdict.kind === 'ignore') continue;
    rows.push({ container: info.name, id: info.id.slice(0, 12), project: info.project, service: info.service, verdict });
  }
  return rows.sort((a, b) => a.container.localeCompare(b.container));
}

/** The human-readable report `healer check` prints. */
export function formatCheck(rows: readonly CheckRow[]): string {
  const out: string[] = [];
  for (const r of rows) {
    const where = r.project ? ` (${r.project}/${r.service ?? '?'})` : '';
    if (r.verdict.kind === 'problem') {
      out.push(`ERROR   ${r.container}${where}`);
      for (const e of r.verdict.errors) out.push(`  ${e}`);
      continue;
    }
    if (r.verdict.kind !== 'watch') continue;
    out.push(`WATCH   ${r.container}${where}`);
    out.push(...formatPolicy(r.verdict.policy).map((l) => `  ${l}`));
  }
  const watched = rows.filter((r) => r.verdict.kind === 'watch').length;
  const bad = rows.length - watched;
  out.push(`${watched} watched, ${bad} with label errors`);
  return out.join('\n');
}

export function formatPolicy(p: Policy): string[] {
  return [
    `liveness:  ${formatProbe(p.liveness)}`,
    `readiness: ${formatProbe(p.readiness)}`,
    `action:    ${p.action} (restart timeout ${formatDuration(p.restartTimeoutMs)}${p.restartOnExit ? ', restart on exit' : ''})`,
    ...(p.network ? [`network:   ${p.network}`] : []),
  ];
}

function formatProbe(p: ProbePolicy | undefined): string {
  if (!p) return 'none (exits are still watched)';
  if (p.spec.kind === 'docker') return 'docker (HEALTHCHECK status, on events)';
  const when = p.schedule ? `schedule "${p.schedule}"` : `every ${formatDuration(p.intervalMs)}`;
  const parts = [
    formatProbeSpec(p.spec),
    when,
    `timeout ${formatDuration(p.timeoutMs)}`,
    `${plural(p.failures, 'failure')} to act`,
    `${plural(p.successes, 'success')} to recover`,
  ];
  if (p.startPeriodMs > 0) parts.push(`start period ${formatDuration(p.startPeriodMs)}`);
  if (p.spec.kind === 'http') {
    parts.push(`${p.method} status ${p.status.map(([a, b]) => (a === b ? a : `${a}-${b}`)).join(',')}`);
    if (p.body) parts.push(`body /${p.body.source}/`);
    const names = Object.keys(p.headers);
    if (names.length > 0) parts.push(`headers ${names.join(',')}`);
  }
  return parts.join(', ');
}

export function loadedSummary(loaded: LoadedConfig): string {
  return loaded.path ? `config ${loaded.path}` : 'no config file (built-in defaults)';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : word.endsWith('s') ? 'es' : 's'}`;
}
