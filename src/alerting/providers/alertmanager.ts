import type { Dispatcher } from 'undici';
import { postJson } from '../post.ts';
import { RESOLVES, SEVERITY, type Alert, type AlertEvent, type Notifier } from '../types.ts';
import { isoTime } from '../../iso-time.ts';

/** Events that open a condition Alertmanager shows until a resolving event ends it. */
const OPENS: Partial<Record<AlertEvent, string>> = {
  unhealthy: 'HealerContainerUnhealthy',
  crashloop: 'HealerCrashLoop',
  held: 'HealerRestartHeld',
  restart_failed: 'HealerRestartFailed',
  not_ready: 'HealerContainerNotReady',
  paused: 'HealerRestartsPaused',
  docker_unreachable: 'HealerDockerUnreachable',
};
/** One-off events are sent as alerts that end by themselves after this long. */
const ONE_OFF_MS = 5 * 60_000;

export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
}

/** Alertmanager identifies an alert by its whole label set: a resolve must repeat the firing labels. */
function labelsOf(a: Alert, alertname: string, severity: Alert['severity']): Record<string, string> {
  const labels: Record<string, string> = { alertname, severity, host: a.host, source: 'healer' };
  if (a.container) {
    labels.container = a.container.name;
    if (a.container.project) labels.project = a.container.project;
    if (a.container.service) labels.service = a.container.service;
  }
  return labels;
}

function annotationsOf(a: Alert): Record<string, string> {
  const out: Record<string, string> = { summary: a.summary, description: a.reason };
  if (a.probe?.error) out.probe_error = a.probe.error;
  if (a.restartsInWindow !== undefined) out.restarts_in_window = String(a.restartsInWindow);
  if (a.logs && a.logs.length > 0) out.logs = a.logs.join('\n').slice(-4000);
  return out;
}

/**
 * Alertmanager (POST /api/v2/alerts). An opening event fires an alert that is re-sent every
 * `resendMs` while it is open (Alertmanager forgets alerts not re-sent); its resolving event sends the
 * same labels with endsAt = now. One-off events (restarted, died, ...) end by themselves.
 */
export function alertmanager(channel: { name: string; url: string; headers: Record<string, string> }, dispatcher: Dispatcher, resendMs = 60_000): Notifier {
  const endpoint = `${channel.url.replace(/\/+$/, '')}/api/v2/alerts`;
  // Open alerts by condition and container id (not name: a renamed or re-created container's alert is
  // still its own), each with the labels it fired with, which its resolve must repeat.
  const open = new Map<string, { am: AmAlert; containerId: string | undefined }>();
  // Containers already removed: an opening alert about one still queued or being retried when it went
  // is sent as ended, never kept open (bounded: the oldest are forgotten first).
  const gone = new Set<string>();
  const post = (alerts: AmAlert[], signal: AbortSignal) => postJson(endpoint, JSON.stringify(alerts), { dispatcher, signal, headers: channel.headers });
  // An alert's own key (a service slot's crash loop's) stands for its container's id: only forget(key) ends it.
  const idOf = (a: Alert): string | undefined => a.key ?? a.container?.id;
  const key = (alertname: string, a: Alert) => JSON.stringify([alertname, a.host, idOf(a) ?? '']);
  const timer = setInterval(() => {
    if (open.size > 0) post([...open.values()].map((o) => o.am), AbortSignal.timeout(10_000)).catch(() => undefined);
  }, resendMs);
  timer.unref();
  return {
    name: channel.name,
    async send(a, signal) {
      const opened = OPENS[a.event];
      const resolved = RESOLVES[a.event];
      const id = idOf(a);
      if (opened && id !== undefined && gone.has(id)) {
        await post([{ labels: labelsOf(a, opened, a.severity), annotations: annotationsOf(a), startsAt: a.at, endsAt: a.at }], signal);
        return;
      }
      if (opened) {
        const k = key(opened, a);
        const before = open.get(k)?.am;
        // Still the same alert for Alertmanager (same labels) if it was open already, under a new name too.
        const am: AmAlert = { labels: before?.labels ?? labelsOf(a, opened, a.severity), annotations: annotationsOf(a), startsAt: before?.startsAt ?? a.at };
        await post([am], signal);
        open.set(k, { am, containerId: idOf(a) });
        return;
      }
      if (resolved) {
        const ending = resolved.flatMap((e) => {
          const name = OPENS[e];
          return name ? [{ k: key(name, a), labels: labelsOf(a, name, SEVERITY[e]) }] : [];
        });
        const batch = ending.map(({ k, labels }) => open.get(k)?.am ?? { labels, annotations: annotationsOf(a), startsAt: a.at });
        const closed = batch.map((am) => ({ ...am, endsAt: a.at }));
        await post(closed, signal);
        for (const { k } of ending) open.delete(k);
        return;
      }
      const name = `Healer${a.event.replace(/(^|_)(\w)/g, (_m, _s, c: string) => c.toUpperCase())}`;
      await post([{ labels: labelsOf(a, name, a.severity), annotations: annotationsOf(a), startsAt: a.at, endsAt: isoTime(Date.parse(a.at) + ONE_OFF_MS) }], signal);
    },
    close: () => clearInterval(timer),
    forget(containerId) {
      gone.add(containerId);
      if (gone.size > 1_000) gone.delete(gone.values().next().value as string);
      const ending = [...open.entries()].filter(([, o]) => o.containerId === containerId);
      if (ending.length === 0) return;
      for (const [k] of ending) open.delete(k);
      const at = isoTime(Date.now());
      post(ending.map(([, o]) => ({ ...o.am, endsAt: at })), AbortSignal.timeout(10_000)).catch(() => undefined);
    },
  };
}
