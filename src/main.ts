import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { LoadedConfig } from './config/load.ts';
import { selfNetworkOf, type SelfNetwork } from './docker/address.ts';
import { connectDocker } from './docker/connect.ts';
import { Engine } from './docker/engine.ts';
import { alertHostName, engineHostName } from './docker/host-name.ts';
import { ownContainer, selfContainerClues } from './docker/self.ts';
import { Agent } from './undici.ts';
import { Alerter } from './alerting/alerter.ts';
import { HistoryQueries } from './history/queries.ts';
import { HistoryStore } from './history/store.ts';
import { Metrics, type MetricSources } from './metrics.ts';
import { createProbeDispatcher, createProbers } from './probes/index.ts';
import { startServer, type HttpServer } from './server.ts';
import { VERSION } from './version.ts';
import { monotonic, systemClock, type Clock } from './watchdog/clock.ts';
import { StateFile } from './watchdog/state-file.ts';
import { Watchdog } from './watchdog/watchdog.ts';

export interface Running {
  readonly watchdog: Watchdog;
  readonly alerter: Alerter;
  readonly metrics: Metrics;
  /** The HTTP listener; undefined when server.listen is off. */
  readonly server: HttpServer | undefined;
  /** The status page's history; undefined with history.path off. */
  readonly history: HistoryStore | undefined;
  /** Stops healer: no new probes, in-flight work gets `graceMs`, then connections close. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Wires healer together and starts it. The HTTP listener comes up first, so /healthz answers (503) and
 * /metrics shows healer_docker_up 0 while the engine cannot be reached yet; healer keeps trying with
 * backoff (it is often started before, or alongside, the engine it watches) until `signal` aborts.
 */
export async function startHealer(opts: {
  loaded: LoadedConfig;
  log: Logger;
  clock?: Clock;
  signal?: AbortSignal;
  /** Clues to healer's own container; read from /proc when not given. */
  self?: { ids: string[]; hostname: string };
  /** How to reach the engine; tests and the bench pass an in-memory engine to go past what one host can run. */
  connect?: (target: LoadedConfig['config']['docker']) => Promise<{ engine: Engine; apiVersion: string; engineVersion: string }>;
}): Promise<Running> {
  const { loaded, log } = opts;
  const clock = opts.clock ?? systemClock;
  const target = loaded.config.docker;
  log.info({ version: VERSION, config: loaded.path ?? null, dockerHost: target.host, dryRun: loaded.config.dry_run }, 'healer starting');

  const sources: MetricSources = { watchdog: undefined, alerter: undefined };
  const metrics = new Metrics(sources);
  const history = openHistory(loaded, clock, log.child({ component: 'history' }));
  const listen = loaded.config.server.listen;
  const server = listen
    ? await startServer({ listen, token: loaded.serverToken, trustedProxies: loaded.config.server.trusted_proxies, metrics, sources, history: history && new HistoryQueries(history), clock, log: log.child({ component: 'http' }) }).catch((err: unknown) => {
        history?.close();
        throw err;
      })
    : undefined;
  const closeAll = async () => {
    await server?.close();
    history?.close();
  };

  let delay = 500;
  for (;;) {
    try {
      const { engine, apiVersion, engineVersion } = await (opts.connect ?? connectEngine)(target);
      log.info({ engineVersion, apiVersion }, 'connected to the docker engine');
      const dispatcher = createProbeDispatcher();
      const alertDispatcher = new Agent({ connect: { timeout: 10_000 } });
      const self = opts.self ?? selfContainerClues();
      const named = await alertHostName(self, () => engineHostName(engine.docker));
      if (named.note !== undefined) log.warn(named.note);
      const alerter = new Alerter({ specs: loaded.channels, config: loaded.config.alerts, secrets: loaded.secrets, dispatcher: alertDispatcher, engine, log: log.child({ component: 'alerts' }), host: named.host });
      const state = new StateFile(loaded.config.state.path, log.child({ component: 'state' }), () => clock.now());
      state.load();
      const watchdog = new Watchdog({
        engine,
        loaded,
        log,
        clock,
        probers: createProbers({ engine, dispatcher, monotonic: () => monotonic(clock) }),
        self,
        selfNetwork: await ownNetwork(engine, self.ids, log),
        state,
        alerter,
        observer: metrics,
        ...(history ? { history } : {}),
      });
      sources.watchdog = watchdog;
      sources.alerter = alerter;
      await watchdog.start();
      return {
        watchdog,
        alerter,
        metrics,
        server,
        history,
        async stop(graceMs = 15_000) {
          await watchdog.stop(graceMs);
          await alerter.flush(Math.min(graceMs, 10_000));
          await Promise.all([dispatcher.close(), alertDispatcher.close(), server?.close()]);
          history?.close();
          log.info('healer stopped');
        },
      };
    } catch (err) {
      sources.watchdog = undefined;
      sources.alerter = undefined;
      if (opts.signal?.aborted) {
        await closeAll();
        throw err;
      }
      log.error({ err: (err as Error).message, retryInMs: delay }, 'docker engine unreachable; retrying');
      try {
        await sleep(delay, undefined, opts.signal ? { signal: opts.signal } : undefined);
      } catch (aborted) {
        await closeAll();
        throw aborted;
      }
      delay = Math.min(delay * 2, 30_000);
    }
  }
}

/** The history beside the state file unless history.path says otherwise; `off` keeps none. */
function openHistory(loaded: LoadedConfig, clock: Clock, log: Logger): HistoryStore | undefined {
  const h = loaded.config.history;
  if (h.path === 'off') return undefined;
  const path = h.path ?? join(dirname(loaded.config.state.path), 'healer-history.db');
  // Only the status page needs the history: a file healer cannot open or write never stops healing.
  let last = '';
  const onError = (what: string, err: Error): void => {
    if (err.message !== last) log.warn({ path, err: err.message }, `history: could not ${what}; healing goes on (said once per distinct error)`);
    last = err.message;
  };
  try {
    const onDropped = (message: string): void => log.warn({ path }, `history: ${message}; the status page's bar and uptime miss them`);
    const store = new HistoryStore({ path, retentionMs: h.retention, maxBytes: h.max_size * 2 ** 20, clock, onError, onDropped });
    store.start();
    return store;
  } catch (err) {
    log.error({ path, err: (err as Error).message }, 'history off: its file cannot be opened (move it aside or set history.path); the status page shows states only');
    return undefined;
  }
}

async function connectEngine(target: LoadedConfig['config']['docker']): Promise<{ engine: Engine; apiVersion: string; engineVersion: string }> {
  const { docker, apiVersion, engineVersion, info } = await connectDocker(target);
  return { engine: new Engine(docker, info), apiVersion, engineVersion };
}

/**
 * Where healer's own container is on the network, so an empty probe host picks an address healer can
 * reach, and the host ports it publishes, which no label probe may use to reach healer's listener; and,
 * once, that the engine will not say which networks are bridges (networks.ts).
 */
async function ownNetwork(engine: Engine, ids: readonly string[], log: Logger): Promise<SelfNetwork> {
  engine.networks.onRefused = (why) => log.warn({ call: 'GET /networks' }, why);
  const own = await ownContainer(engine, ids);
  if (own) {
    const published = (own.published ?? []).map((p) => `${p.hostIp.includes(':') ? `[${p.hostIp}]` : p.hostIp}:${p.hostPort}${p.lastHostPort === p.hostPort ? '' : `-${p.lastHostPort}`}->${p.containerPort}/${p.protocol}`);
    log.info({ id: own.id.slice(0, 12), networkMode: own.networkMode, networks: Object.keys(own.networks), published }, 'healer runs in a container; it will never act on it');
  }
  return selfNetworkOf(own);
}
