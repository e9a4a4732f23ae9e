import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { redact, type ResolvedChannel } from '../config/channels.ts';
import type { Config } from '../config/schema.ts';
import type { Engine } from '../docker/engine.ts';
import { Channel, type ChannelCounters } from './channel.ts';
import { LOG_READS, LOG_WAIT_MS, LogReads, untilStopped } from './log-reads.ts';
import { createNotifier } from './providers/index.ts';
import { SEVERITY, type Alert, type AlertEvent } from './types.ts';
import { isoTime } from '../iso-time.ts';

export interface AlertInput {
  readonly event: AlertEvent;
  readonly summary: string;
  readonly reason: string;
  readonly container?: Alert['container'];
  readonly probe?: Alert['probe'];
  readonly restartsInWindow?: number;
  readonly recoveryMs?: number;
  readonly exitCode?: number;
  readonly oom?: boolean;
  /** Channel names the container chose (healer.alert); undefined: every channel. */
  readonly channels?: readonly string[] | undefined;
  /** A Swarm task's id: its log lines are read through a manager when its container is on another node. */
  readonly taskId?: string | undefined;
  /** What channels that keep alerts open know it by, when not by its container's id (Alert.key). */
  readonly key?: string | undefined;
  /**
   * The container's own probe secrets (config/probe-secrets.ts): its app may log healer's probe
   * requests, token and all, so they are cut from its log lines as channel secrets are.
   */
  readonly secrets?: readonly string[] | undefined;
  /**
   * A condition an earlier healer alerted and this one found still open (its state file): told only to
   * channels that keep conditions open (Alertmanager, which forgets an alert not re-sent), never again
   * to chat channels, which saw it. `at`: when it began (the alert's time, its startsAt).
   */
  readonly reopened?: { readonly at: number } | undefined;
}

/**
 * Routes alerts to channels. `emit` never waits: the container's last log lines are fetched and the
 * alert queued in the background, so alerting can never delay healing. Each container has its own
 * chain (an alert and its resolution stay in order), so logs the engine is slow to give for one
 * container never hold up another's alerts. At most LOG_READS alerts read log lines at once (an alert
 * storm must not open a read per container against the engine); one that waits LOG_WAIT_MS for its turn
 * goes without them and says so.
 */
export class Alerter {
  readonly channels: readonly Channel[];
  private readonly engine: Engine | undefined;
  private readonly log: Logger;
  private readonly logLines: number;
  private readonly secrets: readonly string[];
  /** The host alerts name: the engine's name for it when healer's own hostname is only its container's id (main.ts). */
  private readonly host: string;
  /**
   * The last piece of work queued per id: what channels that keep alerts open know an alert by (its key,
   * else its container's id; '' host-wide), which is also what containerGone names.
   */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly logReads = new LogReads();
  /** Fired by flush when half its grace is gone: alerts still waiting for log lines go without them. */
  private readonly stopping = new AbortController();

  constructor(opts: { specs: readonly ResolvedChannel[]; config: Config['alerts']; secrets: readonly string[]; dispatcher: Dispatcher; engine?: Engine; log: Logger; host?: string }) {
    const { config } = opts;
    this.host = opts.host ?? hostname();
    this.channels = opts.specs.map(
      (spec) =>
        new Channel(
          createNotifier(spec, opts.dispatcher),
          spec.events,
          { timeoutMs: config.timeout, retries: config.retries, queue: config.queue, windowMs: config.throttle.window, perMinute: config.throttle.per_minute },
          opts.log.child({ channel: spec.name }),
        ),
    );
    this.engine = opts.engine;
    this.log = opts.log;
    this.logLines = config.log_lines;
    this.secrets = opts.secrets;
  }

  emit(input: AlertInput): void {
    const targets = this.channels.filter((c) => c.accepts(input.event) && (input.channels === undefined || input.channels.includes(c.name)) && (!input.reopened || c.keepsOpen));
    if (targets.length === 0) return;
    const now = Date.now();
    const at = isoTime(input.reopened?.at ?? now);
    this.after(input.key ?? input.container?.id ?? '', async () => {
      const alert = await this.build(input, at, now);
      for (const c of targets) c.push(alert);
    });
  }

  /**
   * A watched container was removed: channels that keep alerts open (Alertmanager) end its alerts, after
   * any alert about it still being built.
   */
  containerGone(id: string): void {
    this.after(id, () => {
      for (const c of this.channels) c.forget(id);
    });
  }

  /**
   * An operator stopped a watched container: channels that keep alerts open (Alertmanager) end its
   * alerts, after any alert about it still being built. Nothing is sent to chat channels: the stop is
   * the operator's own doing (history records it), and it pages no one.
   */
  containerStopped(id: string): void {
    this.after(id, () => {
      for (const c of this.channels) c.end(id);
    });
  }

  /** The alert `healer notify --test` sends. */
  testAlert(): Alert {
    return {
      event: 'recovered',
      severity: 'info',
      summary: 'healer test alert: this channel works',
      reason: 'Sent by `healer notify --test`. No container is affected.',
      host: this.host,
      at: isoTime(Date.now()),
      test: true,
    };
  }

  /** Delivery counters per channel (for metrics). */
  counters(): Record<string, ChannelCounters> {
    return Object.fromEntries(this.channels.map((c) => [c.name, c.counters]));
  }

  /**
   * SIGTERM: pending alerts get `graceMs` to go out; what is left is counted as dropped. Alerts still
   * being built (reading log lines from an engine slow to answer: up to LOG_WAIT_MS plus READ_MS) get
   * half of it, then go without their log lines, saying so: waiting for them unbounded let docker
   * stop's SIGKILL come before the history was closed.
   */
  async flush(graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    let timer: NodeJS.Timeout | undefined;
    const half = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs / 2)));
    await Promise.race([Promise.all(this.chains.values()), half]);
    clearTimeout(timer);
    this.stopping.abort();
    await Promise.all(this.chains.values());
    await Promise.all(this.channels.map((c) => c.flush(Math.max(0, deadline - Date.now()))));
  }

  /** Runs `work` after what is queued for the same container; the entry goes once its chain is idle. */
  private after(id: string, work: () => Promise<void> | void): void {
    const next = (this.chains.get(id) ?? Promise.resolve()).then(work).catch((err: unknown) => {
      this.log.error({ err: (err as Error).message }, 'building an alert failed');
    });
    this.chains.set(id, next);
    void next.then(() => {
      if (this.chains.get(id) === next) this.chains.delete(id);
    });
  }

  private async build(input: AlertInput, at: string, emittedAt: number): Promise<Alert> {
    const secrets = input.secrets === undefined ? this.secrets : [...this.secrets, ...input.secrets];
    let logs: string[] | undefined;
    const { container } = input;
    const engine = this.engine;
    if (container && engine && this.logLines > 0) {
      try {
        const stop = this.stopping.signal;
        const read = await this.logReads.run(emittedAt, () => untilStopped(engine.logs(container.id, this.logLines, input.taskId), stop), stop);
        if (read?.value) logs = read.value.map((l) => redact(l, secrets).slice(0, 500));
        else if (stop.aborted) {
          logs = ['logs not read: healer was shutting down and the engine had not given them yet'];
          this.log.warn({ container: container.name, event: input.event }, 'alert sent without log lines: healer is shutting down');
        } else {
          const waited = `${Math.round(LOG_WAIT_MS / 1000)}s`;
          logs = [`logs not read: no turn to read them within ${waited} (at most ${LOG_READS} alerts read log lines at once; ${this.logReads.queued} more waiting)`];
          this.log.warn({ container: container.name, event: input.event }, `alert sent without log lines: no turn to read them within ${waited}`);
        }
      } catch (err) {
        this.log.debug({ err: (err as Error).message }, 'no log lines for the alert');
      }
    }
    const { channels: _c, taskId: _t, secrets: _s, reopened: _r, ...rest } = input;
    return {
      ...rest,
      summary: redact(input.summary, secrets),
      reason: redact(input.reason, secrets),
      severity: SEVERITY[input.event],
      host: this.host,
      at,
      ...(logs ? { logs } : {}),
    };
  }
}
