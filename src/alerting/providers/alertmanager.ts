import type { Dispatcher } from 'undici';
import { postJson } from '../post.ts';
import { DeliveryError, RESOLVES, SEVERITY, type Alert, type AlertEvent, type Notifier } from '../types.ts';
import { isoTime } from '../../iso-time.ts';
import { AmConditions, type AmAlert, type Pending } from './am-conditions.ts';

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

export type { AmAlert };

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
 * The re-send carries each condition's latest intent only (am-conditions.ts): a resolve Alertmanager
 * has not taken yet (down longer than the retries, or dropped by the channel: `lost`) is re-sent until
 * it is; a firing alert that could not be delivered is re-sent as firing; a condition healer knows has
 * ended (resolved, container removed or stopped by an operator) is never fired again by an older alert
 * still queued or in flight, and a condition firing again is never resolved by an older resolve.
 */
export function alertmanager(channel: { name: string; url: string; headers: Record<string, string> }, dispatcher: Dispatcher, resendMs = 60_000): Notifier {
  const endpoint = `${channel.url.replace(/\/+$/, '')}/api/v2/alerts`;
  // Conditions by alert name and container id (not name: a renamed or re-created container's alert is
  // still its own), each with the labels it fired with, which its resolve must repeat.
  const conds = new AmConditions();
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
  /** Records the end of what a resolving alert ends; returns the resolves to post. */
  const ending = (a: Alert, resolved: readonly AlertEvent[]): Pending[] => {
    const seq = conds.stamp(a);
    return endedBy(a, resolved).flatMap(({ k, labels }) => {
      const am = conds.resolve(k, seq, a.at, () => ({ labels, annotations: annotationsOf(a), startsAt: a.at, endsAt: a.at }));
      return am ? [{ k, seq, am }] : [];
    });
  };
  /** The firing body of an opening alert: the labels and startsAt it fired with if it is firing already. */
  const firing = (a: Alert, opened: string) => (before: AmAlert | undefined): AmAlert => ({ labels: before?.labels ?? labelsOf(a, opened, a.severity), annotations: annotationsOf(a), startsAt: before?.startsAt ?? a.at });
  /** Posts resolves; once Alertmanager has them (or refuses them for good) they are no longer re-sent. */
  const resolve = async (batch: Pending[], signal: AbortSignal): Promise<void> => {
    if (batch.length === 0) return;
    try {
      await post(
        batch.map((b) => b.am),
        signal,
      );
      conds.settle(batch);
    } catch (err) {
      // A 4xx is final: sending it again changes nothing; Alertmanager expires the alert by itself.
      if (err instanceof DeliveryError && !err.retryable) conds.settle(batch);
      throw err;
    }
  };
  const timer = setInterval(() => {
    const { firing: open, resolves } = conds.pending();
    if (open.length > 0) post(open, AbortSignal.timeout(10_000)).catch(() => undefined);
    resolve(resolves, AbortSignal.timeout(10_000)).catch(() => undefined);
  }, resendMs);
  timer.unref();
  /** Ends every condition still firing for a container (removed, or stopped by an operator), now. */
  const endContainer = (containerId: string, stopped: boolean) => {
    resolve(conds.endContainer(containerId, isoTime(Date.now()), stopped), AbortSignal.timeout(10_000)).catch(() => undefined);
  };
  return {
    name: channel.name,
    keepsOpen: true,
    queued(a, of) {
      conds.stamp(a, of);
    },
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
      if (opened) {
        const k = key(opened, a);
        const seq = conds.stamp(a);
        const gonePost = id !== undefined && gone.has(id);
        if (gonePost || conds.superseded(k, seq, id)) {
          // A later event has spoken: firing again (a later alert the channel dropped), it is fired as
          // that one; removed, stopped or resolved since, it is told as ended, never kept firing.
          const now = gonePost ? undefined : conds.firingNow(k);
          await post([now ?? { labels: labelsOf(a, opened, a.severity), annotations: annotationsOf(a), startsAt: a.at, endsAt: a.at }], signal);
          return;
        }
        const am = conds.fire(k, seq, id, firing(a, opened));
        try {
          await post([am], signal);
        } catch (err) {
          if (err instanceof DeliveryError && !err.retryable) conds.refused(k, seq);
          throw err;
        }
        return;
      }
      if (resolved) {
        // Ended before it is posted: a resolve that fails is re-sent, and the firing alert no longer is.
        await resolve(ending(a, resolved), signal);
        return;
      }
      const name = `Healer${a.event.replace(/(^|_)(\w)/g, (_m, _s, c: string) => c.toUpperCase())}`;
      await post([{ labels: labelsOf(a, name, a.severity), annotations: annotationsOf(a), startsAt: a.at, endsAt: isoTime(Date.parse(a.at) + ONE_OFF_MS) }], signal);
    },
    lost(a) {
      // The channel dropped the alert (queue full, shutdown) or gave up on it. A resolve: the condition
      // has ended all the same; the re-send carries its resolve from now on. A firing alert: a kept
      // older resolve is stale now; the re-send fires the condition instead.
      if (a.test) return;
      const resolved = RESOLVES[a.event];
      if (resolved) return void ending(a, resolved);
      const opened = OPENS[a.event];
      const id = idOf(a);
      if (!opened || (id !== undefined && gone.has(id))) return;
      const k = key(opened, a);
      const seq = conds.stamp(a);
      if (!conds.superseded(k, seq, id)) conds.lostFiring(k, seq, id, firing(a, opened));
    },
    close: () => clearInterval(timer),
    forget(containerId) {
      gone.add(containerId);
      if (gone.size > 1_000) gone.delete(gone.values().next().value as string);
      endContainer(containerId, false);
    },
    end: (containerId) => endContainer(containerId, true),
  };
}
