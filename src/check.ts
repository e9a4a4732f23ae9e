import { probeRules, type ProbeRules } from './config/confine.ts';
import type { LoadedConfig } from './config/load.ts';
import type { Policy, ProbePolicy } from './config/policy.ts';
import { formatDuration } from './config/duration.ts';
import { REDACTED, redactProbeSpec } from './config/probe-spec.ts';
import { selfNetworkOf, type SelfNetwork } from './docker/address.ts';
import type { EngineInfo } from './docker/dialect.ts';
import type { Engine } from './docker/engine.ts';
import { ownContainer } from './docker/self.ts';
import { printable } from './printable.ts';
import type { ContainerInfo, ServiceLabels } from './docker/types.ts';
import { notBefore, restartsInWindow, type Budget } from './watchdog/budget.ts';
import { evaluate, healthcheckProblems, probeAddress, type Verdict } from './watchdog/discover.ts';
import { dependencyCycles } from './watchdog/guards.ts';
import { routeProbe } from './watchdog/probe-route.ts';
import type { StateFile } from './watchdog/state-file.ts';
import { onExitNote } from './watchdog/watch-rules.ts';
import { isoTime } from './iso-time.ts';

export interface CheckRow {
  readonly container: string;
  readonly id: string;
  readonly project: string | undefined;
  readonly service: string | undefined;
  readonly verdict: Verdict;
  /** What the state file remembers: restarts in the window, crash loop, backoff. */
  readonly history: string | undefined;
  /** Probes healer cannot route from where this check runs, or whose host name it may not use: inconclusive, never acted on. */
  readonly unroutable: readonly string[];
  /** Its `docker` probes that can never fail: it has no HEALTHCHECK (discover.ts healthcheckProblems). */
  readonly noHealthcheck: readonly string[];
  /** What `healer.restart.on_exit` does for it when that is not the plain start after a crash (--rm, a restart policy). */
  readonly note?: string | undefined;
}

/** Evaluates every container the engine has, as the watchdog would at start-up. */
export async function checkContainers(
  engine: Engine,
  loaded: LoadedConfig,
  self: { ids: string[]; hostname: string },
  state: StateFile,
  now: number,
): Promise<CheckRow[]> {
  const rows: CheckRow[] = [];
  const infos = new Map<string, ContainerInfo>();
  for (const id of await engine.listIds()) {
    const info: ContainerInfo | undefined = await engine.inspect(id);
    if (info) infos.set(info.id, info);
  }
  // Routing is judged as healer judges it, from where this check runs (healer's container, or the host).
  const from = selfNetworkOf(await ownContainer(engine, self.ids));
  const rules = probeRules(loaded.config, undefined, from.published);
  const watched = (id: string): ContainerInfo | undefined => {
    const owner = infos.get(id);
    return owner && evaluate(owner, loaded, self, rules).kind === 'watch' ? owner : undefined;
  };
  for (const info of infos.values()) {
    const verdict = evaluate(info, loaded, self, rules);
    if (verdict.kind === 'ignore') continue;
    const saved = state.get(info.id);
    const history = verdict.kind === 'watch' && saved ? describeHistory(saved.budget, verdict.policy, now) : undefined;
    const unroutable = verdict.kind === 'watch' ? await probeProblems(info, verdict.policy, from, watched, rules) : [];
    const noHealthcheck = verdict.kind === 'watch' ? healthcheckProblems(info, verdict.policy) : [];
    const note = verdict.kind === 'watch' ? onExitNote(verdict.policy, info) : undefined;
    rows.push({ container: info.name, id: info.id.slice(0, 12), project: info.project, service: info.service, verdict, history, unroutable, noHealthcheck, ...(note ? { note } : {}) });
  }
  return rows.sort((a, b) => a.container.localeCompare(b.container));
}

/**
 * One warning per `healer.depends_on` cycle among the watched containers: while all of a cycle's
 * containers fail, none holds another's restart (a hold there would be for ever), which its author may
 * have meant otherwise.
 */
export function dependencyCycleWarnings(rows: readonly CheckRow[]): string[] {
  const views = rows.flatMap((r) => (r.verdict.kind === 'watch' ? [{ name: r.container, project: r.project, service: r.service, failing: true, dependsOn: r.verdict.policy.dependsOn }] : []));
  return dependencyCycles(views).map((c) => `healer.depends_on cycle: ${c.join(' -> ')}: while all of them fail, none holds another's restart`);
}

/**
 * One warning per plain `healer.depends_on` name of a compose container that names no watched service of
 * its own project: since review 14 such a name means that project's service only (a tenant's container
 * named `db` must not stand in for it), so a dependency outside the project needs `/name`.
 */
export function dependencyNameWarnings(rows: readonly CheckRow[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    if (r.verdict.kind !== 'watch' || r.project === undefined) continue;
    for (const dep of r.verdict.policy.dependsOn) {
      if (dep.startsWith('/') || rows.some((o) => o.project === r.project && o.service === dep)) continue;
      const named = rows.some((o) => o.container === dep);
      out.push(`container ${r.container}: healer.depends_on "${dep}" names no watched service of compose project "${r.project}", so it holds nothing${named ? ` (a container named "${dep}" is not a dependency: write "/${dep}" to name it)` : ''}`);
    }
  }
  return out;
}

/**
 * The probes healer could not send, judged as each probe judges them (watchdog/probe-route.ts) from
 * where the check runs: routing problems, and label targets refused now (a name resolving elsewhere, an
 * address no longer the container's own), one line per probe.
 */
async function probeProblems(info: ContainerInfo, policy: Policy, from: SelfNetwork, watched: (id: string) => ContainerInfo | undefined, rules: ProbeRules): Promise<string[]> {
  const out: string[] = [];
  for (const role of ['liveness', 'readiness'] as const) {
    const p = policy[role];
    if (p === undefined || (p.spec.kind !== 'http' && p.spec.kind !== 'tcp')) continue;
    const route = await routeProbe(p, info, probeAddress(info, policy, from, watched), rules, AbortSignal.timeout(p.timeoutMs));
    if (!route.ok) out.push(`${role} probe ${route.error.startsWith('the container ') ? 'cannot be routed' : 'refused'}: ${route.error}`);
  }
  return out;
}

/**
 * Services whose healer labels are service labels (`deploy.labels` in a stack, `--label` on `docker
 * service create`): they never reach the containers, which are what healer reads, so the service is not
 * watched. One warning per service, naming the labels.
 */
export function serviceLabelWarnings(services: readonly ServiceLabels[], prefix: string): string[] {
  const ours = (labels: Readonly<Record<string, string>>) => Object.keys(labels).filter((k) => k.startsWith(`${prefix}.`));
  const out: string[] = [];
  for (const s of [...services].sort((a, b) => a.name.localeCompare(b.name))) {
    const onService = ours(s.labels).filter((k) => !(k in s.containerLabels));
    if (onService.length === 0) continue;
    out.push(
      `service ${s.name}: ${onService.join(', ')} ${onService.length === 1 ? 'is a service label' : 'are service labels'} (deploy.labels, or --label), which its containers do not get; healer reads container labels: put ${onService.length === 1 ? 'it' : 'them'} under the service's labels: in the stack file (or --container-label)`,
    );
  }
  return out;
}

/**
 * With `swarm.crashloops: cluster`: services whose healer labels come from their image only. Each node
 * sees them (the engine merges image labels into the container's); the leader only when its engine has
 * the image, so they are better given as container labels. One warning per service.
 */
export function imageLabelWarnings(services: readonly { name: string; imageOnly?: readonly string[] }[], prefix: string): string[] {
  const out: string[] = [];
  for (const s of [...services].sort((a, b) => a.name.localeCompare(b.name))) {
    const ours = (s.imageOnly ?? []).filter((k) => k.startsWith(`${prefix}.`));
    if (ours.length === 0) continue;
    out.push(
      `service ${s.name}: ${ours.join(', ')} ${ours.length === 1 ? 'comes' : 'come'} from its image's labels only; with swarm.crashloops: cluster the Swarm leader's healer sees ${ours.length === 1 ? 'it' : 'them'} only if its engine has the image: give ${ours.length === 1 ? 'it' : 'them'} as container labels (labels: in the stack file, or --container-label)`,
    );
  }
  return out;
}

/** The human-readable report `healer check` prints; control characters from labels are escaped (printable.ts). */
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
    if (r.history) out.push(`  history:   ${r.history}`);
    if (r.note) out.push(`  note:      ${r.note}`);
    for (const u of r.unroutable) out.push(`  PROBLEM:   ${u} (a configuration problem: never counted as a failure, never acted on)`);
    for (const u of r.noHealthcheck) out.push(`  PROBLEM:   ${u} (a configuration problem: give it a HEALTHCHECK or another probe)`);
  }
  const watched = rows.filter((r) => r.verdict.kind === 'watch').length;
  const bad = rows.length - watched;
  const count = (n: number, what: string): string => (n > 0 ? `, ${n} with ${what}` : '');
  const unroutable = count(rows.filter((r) => r.unroutable.length > 0).length, 'probes healer cannot route');
  out.push(`${watched} watched, ${bad} with label errors${unroutable}${count(rows.filter((r) => r.noHealthcheck.length > 0).length, 'docker probes and no HEALTHCHECK')}`);
  // Each entry is one line of this layout; what labels wrote in it (names, paths, keys) is shown escaped.
  return out.map(printable).join('\n');
}

/**
 * `healer check --json`: the rows with every probe in its redacted form (spec, header values, body
 * pattern as text), so the machine-readable report carries no more secrets than the printed one.
 */
export function checkReportJson(configPath: string | undefined, rows: readonly CheckRow[], engine?: EngineInfo, warnings: readonly string[] = []): string {
  const view = rows.map((r) => (r.verdict.kind === 'watch' ? { ...r, verdict: { kind: 'watch', policy: redactPolicy(r.verdict.policy) } } : r));
  return JSON.stringify({ config: configPath ?? null, engine: engine ?? null, containers: view, ...(warnings.length > 0 ? { warnings } : {}) }, null, 2);
}

function redactPolicy(p: Policy): Record<string, unknown> {
  const probe = (q: ProbePolicy | undefined) =>
    q && {
      ...q,
      spec: redactProbeSpec(q.spec),
      body: q.body?.source,
      headers: Object.fromEntries(Object.keys(q.headers).map((k) => [k, REDACTED])),
    };
  return { ...p, liveness: probe(p.liveness), readiness: probe(p.readiness) };
}

export function formatPolicy(p: Policy): string[] {
  return [
    `liveness:  ${formatProbe(p.liveness)}`,
    `readiness: ${formatProbe(p.readiness)}`,
    `action:    ${p.action} (restart timeout ${formatDuration(p.restartTimeoutMs)}${p.restartOnExit ? ', restart on exit' : ''})`,
    `backoff:   ${formatDuration(p.backoff.initialMs)} doubling to ${formatDuration(p.backoff.maxMs)}, reset after ${formatDuration(p.backoff.resetMs)} healthy`,
    `crashloop: more than ${p.crashloop.restarts} restarts in ${formatDuration(p.crashloop.windowMs)}, then ${p.crashloop.action === 'retry' ? 'retry at max backoff' : 'give up'}`,
    ...(p.dependsOn.length > 0 ? [`depends on: ${p.dependsOn.join(', ')}`] : []),
    ...(p.network ? [`network:   ${p.network}`] : []),
  ];
}

function formatProbe(p: ProbePolicy | undefined): string {
  if (!p) return 'none (exits are still watched)';
  if (p.spec.kind === 'docker') return 'docker (HEALTHCHECK status, on events)';
  const when = p.schedule ? `schedule "${p.schedule}"` : `every ${formatDuration(p.intervalMs)}`;
  const parts = [
    redactProbeSpec(p.spec),
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

/** The standing state the state file records, in words: `3 restarts in the window; crash loop open; backoff until …`. */
export function describeHistory(b: Budget, p: Policy, now: number): string {
  const rules = { backoff: p.backoff, crashloop: p.crashloop };
  const parts = [`${restartsInWindow(b, now, rules)} restarts in the last ${formatDuration(p.crashloop.windowMs)}`];
  if (b.loop === 'open') parts.push('crash loop open');
  if (b.loop === 'gave_up') parts.push('crash loop: gave up');
  const due = notBefore(b, rules);
  if (due !== undefined && due > now) parts.push(`backoff until ${isoTime(due)}`);
  return parts.join('; ');
}

/** The engine `healer check` talked to, as one line. */
export function describeEngine(e: EngineInfo): string {
  return `engine: ${e.engine === 'podman' ? 'Podman' : 'Docker Engine'} ${e.version}, API ${e.apiVersion}`;
}
