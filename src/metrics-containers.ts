/**
 * The per-container series of `/metrics`, written as exposition text directly: prom-client's labelled metrics
 * blocked the event loop for ~250 ms per scrape at 2,000 containers (README "Benchmarks"). Read from the
 * watches at scrape time; src/metrics.ts appends them to prom-client's registry output.
 */
import { notBefore, restartsInWindow } from './watchdog/budget.ts';
import type { ContainerWatch } from './watchdog/container-watch.ts';

const ROLES = ['liveness', 'readiness'] as const;
const CAUSES = ['liveness', 'exit', 'namespace', 'orphan'] as const;

/** One per-container metric family: either one series per container (`value`) or several (`series`). */
interface ContainerFamily {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  value?: (w: ContainerWatch, now: number) => number;
  series?: (w: ContainerWatch, line: (extra: string, value: number) => void) => void;
}

const rules = (w: ContainerWatch) => ({ backoff: w.policy.backoff, crashloop: w.policy.crashloop });

const CONTAINER_FAMILIES: readonly ContainerFamily[] = [
  {
    name: 'healer_container_up',
    type: 'gauge',
    help: '1 while the container passes its liveness or readiness check, 0 while it fails; absent before the first verdict.',
    series: (w, line) => {
      for (const probe of ROLES) {
        const up = w.policy[probe] ? w.state[probe].up : undefined;
        if (up !== undefined) line(`probe="${probe}"`, up ? 1 : 0);
      }
    },
  },
  { name: 'healer_container_crashloop', type: 'gauge', help: '1 while the crash-loop breaker of the container is open or has given up.', value: (w) => (w.state.budget.loop === 'closed' ? 0 : 1) },
  { name: 'healer_container_gave_up', type: 'gauge', help: '1 when healer gave up restarting the container (crash loop with action giveup).', value: (w) => (w.state.budget.loop === 'gave_up' ? 1 : 0) },
  { name: 'healer_container_held', type: 'gauge', help: '1 while a restart waits because a dependency is failing.', value: (w) => (w.state.heldBy !== undefined ? 1 : 0) },
  {
    name: 'healer_container_backoff_seconds',
    type: 'gauge',
    help: 'Seconds a decided restart still waits for the backoff (0: none waiting).',
    value: (w, now) => {
      const due = w.state.pending ? notBefore(w.state.budget, rules(w)) : undefined;
      return due !== undefined && due > now ? (due - now) / 1000 : 0;
    },
  },
  {
    name: 'healer_container_restarts_in_window',
    type: 'gauge',
    help: 'Restarts (by healer or the engine) inside the crash-loop window.',
    value: (w, now) => restartsInWindow(w.state.budget, now, rules(w)),
  },
  {
    name: 'healer_probes_total',
    type: 'counter',
    help: 'Probe results by container, probe (liveness or readiness) and result (success, failure, or error: healer could not run it).',
    series: (w, line) => {
      for (const probe of ROLES) {
        if (!w.policy[probe] || w.policy[probe].spec.kind === 'docker') continue;
        const n = w.counts.probes[probe];
        line(`probe="${probe}",result="success"`, n.success);
        line(`probe="${probe}",result="failure"`, n.failure);
        line(`probe="${probe}",result="error"`, n.error);
      }
    },
  },
  {
    name: 'healer_probes_delayed_total',
    type: 'counter',
    help: "Probes with a body pattern put off because the container's body matching used more than its share of healer's time.",
    series: (w, line) => {
      for (const probe of ROLES) if (w.policy[probe]?.body) line(`probe="${probe}"`, w.counts.probes[probe].delayed);
    },
  },
  {
    name: 'healer_restarts_total',
    type: 'counter',
    help: 'Restarts (and starts after a crash) healer carried out, by container and reason (liveness, exit, namespace, orphan).',
    series: (w, line) => {
      for (const reason of CAUSES) line(`reason="${reason}"`, w.counts.restarts[reason]);
    },
  },
  {
    name: 'healer_restart_failures_total',
    type: 'counter',
    help: 'Restarts or starts the engine refused or failed, by container and reason.',
    series: (w, line) => {
      for (const reason of CAUSES) line(`reason="${reason}"`, w.counts.restartFailures[reason]);
    },
  },
];

/** Names of the per-container families (documentation and tests). */
export const CONTAINER_METRICS: readonly string[] = CONTAINER_FAMILIES.map((f) => f.name);

/** A label value in the text exposition format: backslash, double quote and line feed escaped. */
export const escapeLabel = (v: string): string => v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));

/** The container, service and project labels of a watch, rebuilt only when one of them changes (a rename). */
const labelCache = new WeakMap<ContainerWatch, { name: string; text: string }>();
function containerLabels(w: ContainerWatch): string {
  const cached = labelCache.get(w);
  if (cached?.name === w.name) return cached.text;
  const text = `container="${escapeLabel(w.name)}",service="${escapeLabel(w.info.service ?? '')}",project="${escapeLabel(w.info.project ?? '')}"`;
  labelCache.set(w, { name: w.name, text });
  return text;
}

/** The per-container families in the Prometheus text format, each family's series together. */
export function containerFamilies(watches: Iterable<ContainerWatch>, now: number): string {
  const list = [...watches];
  const out: string[] = [];
  for (const f of CONTAINER_FAMILIES) {
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const w of list) {
      const labels = containerLabels(w);
      if (f.value) out.push(`${f.name}{${labels}} ${f.value(w, now)}`);
      f.series?.(w, (extra, value) => out.push(`${f.name}{${labels},${extra}} ${value}`));
    }
  }
  return `${out.join('\n')}\n`;
}
