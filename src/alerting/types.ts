import type { AlertEvent } from '../config/schema.ts';

export type { AlertEvent };

/** One alert, as every provider receives it. Built as data, serialised by each provider. */
export interface Alert {
  readonly event: AlertEvent;
  readonly severity: 'critical' | 'warning' | 'info';
  /** One line for humans: `api restarted: 3 failed liveness probes in a row`. */
  readonly summary: string;
  readonly reason: string;
  readonly host: string;
  /** Absent for host-wide events (paused, resumed, docker_*). */
  readonly container?: {
    readonly id: string;
    readonly name: string;
    readonly image: string;
    readonly project: string | undefined;
    readonly service: string | undefined;
  };
  readonly probe?: { readonly role: string; readonly kind: string; readonly status?: number | undefined; readonly error?: string | undefined; readonly latencyMs: number };
  readonly restartsInWindow?: number;
  readonly recoveryMs?: number;
  readonly exitCode?: number;
  readonly oom?: boolean;
  /**
   * What channels that keep alerts open (Alertmanager) know the alert by, when not by its container's
   * id: a service slot's crash loop, `<slot>@<task>` from a node's own count (watchdog/slot-watch.ts),
   * `cluster:<slot>@<task>` from the leader's (watchdog/cluster-alert.ts). No watched container shares
   * it, so Swarm removing the task's container (task history) does not end the slot's alert.
   */
  readonly key?: string;
  /** Last lines of the container's log, secrets redacted. */
  readonly logs?: readonly string[];
  /** ISO time of the event. */
  readonly at: string;
  /** How many alerts like this one the throttle held back before it. */
  readonly suppressed?: number;
  readonly test?: boolean;
}

/** An event that ends a condition an earlier event opened (for Alertmanager's endsAt). */
export const RESOLVES: Partial<Record<AlertEvent, readonly AlertEvent[]>> = {
  recovered: ['unhealthy', 'crashloop', 'held', 'restart_failed'],
  ready: ['not_ready'],
  resumed: ['paused'],
  docker_reconnected: ['docker_unreachable'],
};

export const SEVERITY: Record<AlertEvent, Alert['severity']> = {
  unhealthy: 'warning',
  restarted: 'warning',
  restart_failed: 'critical',
  recovered: 'info',
  died: 'warning',
  crashloop: 'critical',
  orphan: 'warning',
  not_ready: 'warning',
  ready: 'info',
  held: 'warning',
  paused: 'critical',
  resumed: 'info',
  docker_unreachable: 'critical',
  docker_reconnected: 'info',
};

/** A provider: one file, registered in providers/index.ts. `send` throws DeliveryError on failure. */
export interface Notifier {
  readonly name: string;
  send(alert: Alert, signal: AbortSignal): Promise<void>;
  /**
   * The alert entered the channel's queue: the order healer emitted its alerts in, which a provider that
   * keeps conditions (Alertmanager) needs to tell a stale alert from a newer one (answers come in any order).
   * Also told of an alert the throttle holds back, when it happens; its summary later comes with `of`, the
   * alert it stands for, whose place in that order it takes (it is no newer than what came after that one).
   */
  queued?(alert: Alert, of?: Alert): void;
  /**
   * It shows a condition open until its resolving event (Alertmanager): a condition an earlier healer
   * alerted and this one still has open is told to it again, to keep it open (Alerter.emit, `reopened`).
   */
  readonly keepsOpen?: true;
  /** Work to finish at shutdown (Alertmanager resolves nothing, but stops re-sending). */
  close?(): void;
  /** The container is gone: end whatever this channel still shows open for it (Alertmanager). */
  forget?(containerId: string): void;
  /**
   * An operator stopped the container: end what this channel shows open for it, as `forget` does, but
   * a later alert about it (started again, failing again) fires as usual.
   */
  end?(containerId: string): void;
  /**
   * The channel could not deliver this alert (dropped, or failed for good): a provider that keeps
   * conditions open (Alertmanager) must not go on firing one this alert ended.
   */
  lost?(alert: Alert): void;
}

/** A failed delivery: whether trying again may help, and when the receiver asked us to. */
export class DeliveryError extends Error {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;
  constructor(message: string, opts: { retryable: boolean; status?: number | undefined; retryAfterMs?: number | undefined; cause?: unknown }) {
    super(message, { cause: opts.cause });
    this.name = 'DeliveryError';
    this.retryable = opts.retryable;
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
  }
}
