import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Alerter } from './alerting/alerter.ts';
import { containerFamilies } from './metrics-containers.ts';
import { VERSION } from './version.ts';
import type { Observer } from './watchdog/container-watch.ts';
import type { ContainerWatch } from './watchdog/container-watch.ts';
import { SUMMARY_STATES, summaryState } from './watchdog/status.ts';
import type { Watchdog } from './watchdog/watchdog.ts';

/** What the metrics read at scrape time; absent while healer has not reached the engine yet. */
export interface MetricSources {
  watchdog: Watchdog | undefined;
  alerter: Alerter | undefined;
}

const ALERT_RESULTS = ['sent', 'failed', 'dropped', 'suppressed'] as const;

/**
 * healer's metrics, on its own Registry. Histograms are fed as things happen (the Observer); everything
 * per container is read from the live watches at scrape time, so a container that goes away leaves no
 * series behind and no label set outlives what it describes.
 */
export class Metrics implements Observer {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;
  private readonly sources: MetricSources;
  private readonly probeHist: Histogram<'kind'>;
  private readonly driftHist: Histogram;
  private readonly recoveryHist: Histogram;
  private readonly watchErrors: Counter;

  constructor(sources: MetricSources) {
    this.sources = sources;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'healer_' });
    // prom-client names these gauges *_total, which promtool (rightly) rejects: one gauge replaces them.
    for (const name of ['active_handles', 'active_requests', 'active_resources']) {
      this.registry.removeSingleMetric(`healer_nodejs_${name}`);
      this.registry.removeSingleMetric(`healer_nodejs_${name}_total`);
    }
    new Gauge({
      name: 'healer_nodejs_active_resources',
      help: 'Resources keeping the event loop alive (sockets, timers, ...), by type: a leak shows here first.',
      labelNames: ['type'],
      registers,
      collect() {
        this.reset();
        const counts = new Map<string, number>();
        for (const t of process.getActiveResourcesInfo()) counts.set(t, (counts.get(t) ?? 0) + 1);
        for (const [type, n] of counts) this.set({ type }, n);
      },
    });
    const watches = (): ContainerWatch[] => [...(sources.watchdog?.watches.values() ?? [])];
    new Gauge({
      name: 'healer_build_info',
      help: 'Always 1; the version of healer and of Node.js that runs it.',
      labelNames: ['version', 'node'],
      registers,
      collect() {
        this.set({ version: VERSION, node: process.version }, 1);
      },
    });
    new Gauge({
      name: 'healer_containers_watched',
      help: 'Watched containers by state (healthy, unhealthy, restarting, backoff, held, paused, crashloop, gave_up, exited, stopped, starting, running).',
      labelNames: ['state'],
      registers,
      collect() {
        const now = Date.now();
        const counts = new Map<string, number>(SUMMARY_STATES.map((s) => [s, 0]));
        for (const w of watches()) {
          const s = summaryState(w, now);
          counts.set(s, (counts.get(s) ?? 0) + 1);
        }
        for (const [state, n] of counts) this.set({ state }, n);
      },
    });
    this.probeHist = new Histogram({
      name: 'healer_probe_duration_seconds',
      help: 'Time one probe took, by kind (http, tcp, exec).',
      labelNames: ['kind'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.driftHist = new Histogram({
      name: 'healer_probe_schedule_drift_seconds',
      help: 'How late probes start against their planned time.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers,
    });
    this.recoveryHist = new Histogram({
      name: 'healer_recovery_duration_seconds',
      help: 'Time from the first failed liveness probe to passing again (time to recovery).',
      buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    });
    this.watchErrors = new Counter({
      name: 'healer_watch_errors_total',
      help: 'Unexpected errors that parked one container\'s watch (the container is shown with state error; the others carry on).',
      registers,
    });
    const watchdogGauge = (name: string, help: string, value: (wd: Watchdog) => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(sources.watchdog ? value(sources.watchdog) : 0);
        },
      });
    };
    watchdogGauge('healer_docker_up', '1 while the Docker engine is reachable and its event stream is connected.', (wd) => (wd.engineReachable ? 1 : 0));
    watchdogGauge('healer_breaker_open', '1 while restarts are paused because too many containers fail at once.', (wd) => (wd.paused ? 1 : 0));
    // A container whose inspect keeps failing is not watched (healer cannot tell whether it opts in): a
    // dashboard must show it, not only /api/status.
    watchdogGauge('healer_containers_unreadable', 'Containers the engine fails to inspect, so not watched (yet): listed with the error in /api/status and on the status page.', (wd) => wd.unreadableCount());
    new Counter({
      name: 'healer_docker_event_reconnects_total',
      help: 'Times the Docker event stream was re-established after it broke.',
      registers,
      collect() {
        this.reset();
        this.inc(sources.watchdog?.eventReconnects ?? 0);
      },
    });
    new Counter({
      name: 'healer_docker_event_stalls_total',
      help: 'Times the Docker event stream was found open but silent (the container list showed changes no event told) and reopened.',
      registers,
      collect() {
        this.reset();
        this.inc(sources.watchdog?.eventStalls ?? 0);
      },
    });
    new Gauge({
      name: 'healer_config_errors',
      help: 'Label errors per container that stop healer from watching it (fix the labels; see healer check).',
      labelNames: ['container'],
      registers,
      collect() {
        this.reset();
        for (const p of sources.watchdog?.problems.values() ?? []) this.set({ container: p.name }, p.errors.length);
      },
    });
    new Counter({
      name: 'healer_alerts_total',
      help: 'Alerts by channel and result: sent, failed (retries exhausted), dropped (queue full or shutdown), suppressed (throttled).',
      labelNames: ['channel', 'result'],
      registers,
      collect() {
        this.reset();
        for (const [channel, n] of Object.entries(sources.alerter?.counters() ?? {})) {
          for (const result of ALERT_RESULTS) this.inc({ channel, result }, n[result]);
        }
      },
    });
    new Counter({
      name: 'healer_alert_retries_total',
      help: 'Delivery attempts retried after a network error, 5xx or 429, by channel.',
      labelNames: ['channel'],
      registers,
      collect() {
        this.reset();
        for (const [channel, n] of Object.entries(sources.alerter?.counters() ?? {})) this.inc({ channel }, n.retried);
      },
    });
  }

  /**
   * The exposition: healer-wide metrics from prom-client, then the per-container families, written
   * straight to text (prom-client's label handling took ~250 ms, the event loop blocked, per scrape of
   * 2,000 containers).
   */
  async text(): Promise<string> {
    const shared = await this.registry.metrics();
    return `${shared}\n${containerFamilies(this.sources.watchdog?.watches.values() ?? [], Date.now())}`;
  }

  probe(kind: string, seconds: number): void {
    this.probeHist.observe({ kind }, seconds);
  }
  drift(seconds: number): void {
    this.driftHist.observe(seconds);
  }
  recovered(seconds: number): void {
    this.recoveryHist.observe(seconds);
  }
  watchError(): void {
    this.watchErrors.inc();
  }
}

export { CONTAINER_METRICS } from './metrics-containers.ts';
