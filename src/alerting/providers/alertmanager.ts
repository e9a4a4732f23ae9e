import type { Dispatcher } from 'undici';
import { postJson } from '../post.ts';
import { DeliveryError, RESOLVES, SEVERITY, type Alert, type AlertEvent, type Notifier } from '../types.ts';
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
/** `healer notify --test` fires an alert that ends by itself after this long. */
const TEST_MS = 5 * 60_000;

interface Open {
  readonly am: AmAlert;
  readonly containerId: string | undefined;
}

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
 * same labels with endsAt. One-off events (restarted, died, ...) end by themselves.
 *
 * A condition healer knows has ended is never fired again: its resolve is kept and re-sent with the
 * re-sends until Alertmanager takes it, whether the resolve failed (Alertmanager down longer than the
 * retries) or the channel dropped it (queue full, `lost`). Were the firing alert re-sent instead, the
 * recovered container would show firing for as long as healer runs.
 */
export function alertmanager(channel: { name: string; url: string; headers: Record<string, string> }, dispatcher: Dispatcher, resendMs = 60_000): Notifier {
  const endpoint = `${channel.url.replace(/\/+$/, '')}/api/v2/alerts`;
  // Open alerts by condition and container id (not name: a renamed or re-created container's alert is
  // still its own), each with the labels it fired with, which its resolve must repeat.
  const open = new Map<string, Open>();
  // Ended conditions whose resolve Alertmanager has not taken yet, by the same key.
  const ending = new Map<string, AmAlert>();
  // Containers already removed: an opening alert about one still queued or being retried when it went
  // is sent as ended, never kept open (bounded: the oldest are forgotten first).
  const gone = new Set<string>();
  const post = (alerts: AmAlert[], signal: AbortSignal) => postJson(endpoint, JSON.stringify(alerts), { dispatcher, signal, headers: channel.headers });
  // An alert's own key (a service slot's crash loop's) stands for its container's id: only forget(key) ends it.
  const idOf = (a: Alert): string | undefined => a.key ?? a.container?.id;
  const key = (alertname: string, a: Alert) => JSON.stringify([alertname, a.host, idOf(a) ?? '']);
  /** The conditions a resolving alert ends: their keys and the labels they fired (or would fire) with. */
  const endedBy = (a: Alert, resolved: readonly AlertEvent[]) =>
    resolved.flatMap((e) => {
      const name = OPENS[e];
      return name ? [{ k: key(name, a), labels: labelsOf(a, name, SEVERITY[e]) }] : [];
    });
  /** Moves an open condition to `ending`, as of `at`: the re-send stops firing it from now on. */
  const end = (k: string, at: string): AmAlert | undefined => {
    const o = open.get(k);
    if (!o) return ending.get(k);
    open.delete(k);
    const closed = { ...o.am, endsAt: notBefore(at, o.am.startsAt) };
    ending.set(k, closed);
    return closed;
  };
  /** Posts resolves; once Alertmanager has them (or refuses them for good) they are no longer re-sent. */
  const resolve = async (batch: { k: string; am: AmAlert }[], signal: AbortSignal): Promise<void> => {
    if (batch.length === 0) return;
    const settle = () => {
      for (const { k, am } of batch) if (ending.get(k) === am) ending.delete(k);
    };
    try {
      await post(
        batch.map((b) => b.am),
        signal,
      );
      settle();
    } catch (err) {
      // A 4xx is final: sending it again changes nothing; Alertmanager expires the alert by itself.
      if (err instanceof DeliveryError && !err.retryable) settle();
      throw err;
    }
  };
  const timer = setInterval(() => {
    if (open.size > 0) post([...open.values()].map((o) => o.am), AbortSignal.timeout(10_000)).catch(() => undefined);
    resolve([...ending.entries()].map(([k, am]) => ({ k, am })), AbortSignal.timeout(10_000)).catch(() => undefined);
  }, resendMs);
  timer.unref();
  /** Ends every condition still open for a container (removed, or stopped by an operator), now. */
  const endContainer = (containerId: string) => {
    const at = isoTime(Date.now());
    const batch = [...open.entries()].filter(([, o]) => o.containerId === containerId).flatMap(([k]) => {
      const am = end(k, at);
      return am ? [{ k, am }] : [];
    });
    resolve(batch, AbortSignal.timeout(10_000)).catch(() => undefined);
  };
  return {
    name: channel.name,
    async send(a, signal) {
      const opened = OPENS[a.event];
      const resolved = RESOLVES[a.event];
      const id = idOf(a);
      if (a.test) {
        // `healer notify --test`: an alert that really fires for a few minutes, so the routes and
        // receivers behind Alertmanager are exercised (a resolve alone notifies no one).
        await post([{ labels: labelsOf(a, 'HealerTest', a.severity), annotations: annotationsOf(a), startsAt: a.at, endsAt: isoTime(Date.parse(a.at) + TEST_MS) }], signal);
        return;
      }
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
        ending.delete(k); // it fires again: an older resolve still waiting must not end it
        open.set(k, { am, containerId: idOf(a) });
        return;
      }
      if (resolved) {
        // Ended before it is posted: a resolve that fails is re-sent, and the firing alert no longer is.
        const batch = endedBy(a, resolved).map(({ k, labels }) => ({ k, am: end(k, a.at) ?? { labels, annotations: annotationsOf(a), startsAt: a.at, endsAt: a.at } }));
        await resolve(batch, signal);
        return;
      }
      const name = `Healer${a.event.replace(/(^|_)(\w)/g, (_m, _s, c: string) => c.toUpperCase())}`;
      await post([{ labels: labelsOf(a, name, a.severity), annotations: annotationsOf(a), startsAt: a.at, endsAt: isoTime(Date.parse(a.at) + ONE_OFF_MS) }], signal);
    },
    lost(a) {
      // The channel dropped a resolve (queue full, shutdown) or gave up on it: the condition has ended
      // all the same; the re-send carries its resolve from now on.
      const resolved = RESOLVES[a.event];
      if (!resolved || a.test) return;
      for (const { k } of endedBy(a, resolved)) end(k, a.at);
    },
    close: () => clearInterval(timer),
    forget(containerId) {
      gone.add(containerId);
      if (gone.size > 1_000) gone.delete(gone.values().next().value as string);
      endContainer(containerId);
    },
    end: endContainer,
  };
}

/** endsAt never before startsAt (a wall clock stepped back between them): Alertmanager refuses that batch (400). */
function notBefore(at: string, startsAt: string): string {
  return Date.parse(at) < Date.parse(startsAt) ? startsAt : at;
}
