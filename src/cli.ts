#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkContainers, checkReportJson, dependencyCycleWarnings, dependencyNameWarnings, describeEngine, formatCheck, loadedSummary, imageLabelWarnings, serviceLabelWarnings } from './check.ts';
import type { EngineInfo } from './docker/dialect.ts';
import { serviceLabels } from './docker/services.ts';
import { SwarmView } from './docker/swarm-view.ts';
import { ConfigError } from './config/errors.ts';
import { proxyNetWarnings } from './config/proxies.ts';
import { loadConfig, type LoadedConfig } from './config/load.ts';
import { connectDocker } from './docker/connect.ts';
import { Engine } from './docker/engine.ts';
import { alertHostName, engineHostName } from './docker/host-name.ts';
import { selfContainerClues } from './docker/self.ts';
import { createLogger } from './log.ts';
import { startHealer } from './main.ts';
import { VERSION } from './version.ts';
import { Agent } from './undici.ts';
import { Alerter } from './alerting/alerter.ts';
import { redact } from './config/channels.ts';
import { StateFile } from './watchdog/state-file.ts';
import { dropPrivileges, type Dropped } from './privileges.ts';
import { dockerOptions } from './docker/connect.ts';
import { printable } from './printable.ts';

const USAGE = `healer ${VERSION}: watches labelled Docker containers and heals them

Usage:
  healer [run]        watch and heal (default)
  healer check        validate config and labels; print each container's effective policy
  healer notify --test [--channel NAME]
                      send a test alert to every channel (or one); print what each did
  healer healthcheck  ask the running healer's /healthz (for the image's HEALTHCHECK); exit 0 if healthy
  healer --version

Options:
  --config PATH       watchdog.yml (default: $HEALER_CONFIG, else ./watchdog.yml if present)
  --dry-run           decide and log, never act (also HEALER_DRY_RUN=true)
  --json              (check) print the report as JSON
  -h, --help
`;

/** Where watchdog.yml is: --config, HEALER_CONFIG, ./watchdog.yml, or none (built-in defaults). */
function configPath(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (flag) return flag;
  if (env.HEALER_CONFIG) return env.HEALER_CONFIG;
  return existsSync('watchdog.yml') ? 'watchdog.yml' : undefined;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        'dry-run': { type: 'boolean' },
        json: { type: 'boolean' },
        test: { type: 'boolean' },
        channel: { type: 'string' },
        version: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`healer: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const command = positionals[0] ?? 'run';
  if (!['run', 'check', 'notify', 'healthcheck'].includes(command) || positionals.length > 1) {
    process.stderr.write(`healer: unknown command "${positionals.join(' ')}"\n\n${USAGE}`);
    return 2;
  }
  const env: NodeJS.ProcessEnv = { ...process.env, ...(values['dry-run'] ? { HEALER_DRY_RUN: 'true' } : {}) };
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig(configPath(values.config, env), env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`healer: configuration error${err.problems.length > 1 ? 's' : ''}:\n${err.problems.map((p) => `  ${printable(p)}`).join('\n')}\n`);
      return 1;
    }
    throw err;
  }
  if (command === 'healthcheck') return healthcheck(loaded);
  let dropped: Dropped | undefined;
  try {
    const host = loaded.config.docker.host;
    dropped = dropPrivileges(env.HEALER_USER, host.startsWith('unix://') || host.startsWith('/') ? dockerOptions(loaded.config.docker).socketPath : undefined);
  } catch (err) {
    process.stderr.write(`healer: ${(err as Error).message}\n`);
    return 1;
  }
  if (command === 'notify') {
    if (!values.test) {
      process.stderr.write('healer: notify needs --test (healer notify --test [--channel NAME])\n');
      return 2;
    }
    return notifyTest(loaded, values.channel);
  }
  return command === 'check' ? check(loaded, values.json === true) : run(loaded, dropped);
}

/** GET /healthz of the healer this config describes; an unspecified listen host means this machine. */
async function healthcheck(loaded: LoadedConfig): Promise<number> {
  const listen = loaded.config.server.listen;
  if (!listen) {
    process.stderr.write('healer healthcheck: server.listen is off; there is no /healthz to ask\n');
    return 1;
  }
  const host = listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '[::1]' : listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  const url = `http://${host}:${listen.port}/healthz`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    const text = (await res.text()).trim();
    process.stdout.write(`${res.status} ${text}\n`);
    return res.status === 200 ? 0 : 1;
  } catch (err) {
    const cause = (err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    process.stderr.write(`healer healthcheck: ${url}: ${cause}\n`);
    return 1;
  }
}

async function check(loaded: LoadedConfig, json: boolean): Promise<number> {
  let engine: Engine;
  let info: EngineInfo;
  try {
    const connected = await connectDocker(loaded.config.docker);
    info = connected.info;
    engine = new Engine(connected.docker, info);
  } catch (err) {
    process.stderr.write(`healer check: ${loadedSummary(loaded)} is valid, but ${(err as Error).message}\n`);
    return 1;
  }
  const state = new StateFile(loaded.config.state.path, createLogger({ level: 'silent', format: 'json' }));
  state.load();
  const rows = await checkContainers(engine, loaded, selfContainerClues(), state, Date.now());
  const bad = rows.some((r) => r.verdict.kind === 'problem' || r.unroutable.length > 0 || r.noHealthcheck.length > 0);
  // On a Swarm manager: services whose healer labels never reach their containers (warnings only).
  const listed = await serviceLabels(engine.docker);
  const prefix = loaded.config.discovery.label_prefix;
  const warnings = listed.services ? serviceLabelWarnings(listed.services, prefix) : [];
  // Probe addresses were chosen without knowing bridges from overlays (a socket proxy without NETWORKS=1).
  if (engine.networks.refused !== undefined) warnings.unshift(engine.networks.refused);
  const cluster = listed.services && loaded.config.swarm.crashloops === 'cluster' ? await new SwarmView(engine.docker).services() : undefined;
  if (cluster?.services) warnings.push(...imageLabelWarnings(cluster.services, prefix));
  warnings.push(...proxyNetWarnings(loaded.config.server.trusted_proxies), ...dependencyCycleWarnings(rows), ...dependencyNameWarnings(rows));
  if (cluster?.services && cluster.images !== undefined) warnings.push(`${cluster.images}: labels only in images are not seen, so services opted in by their image's labels alone are not counted by the Swarm leader`);
  if (json) process.stdout.write(`${checkReportJson(loaded.path, rows, info, warnings)}\n`);
  // Warnings name services and label keys from the engine: shown with control characters escaped, as the rows are.
  else process.stdout.write(`healer check: ${loadedSummary(loaded)} is valid\n${printable(describeEngine(info))}\n${formatCheck(rows)}\n${warnings.map((w) => `WARN    ${printable(w)}\n`).join('')}`);
  return bad ? 1 : 0;
}

/** Sends one test alert per channel, once, without queue or retries, and says what happened. */
async function notifyTest(loaded: LoadedConfig, only: string | undefined): Promise<number> {
  const specs = loaded.channels.filter((c) => only === undefined || c.name === only);
  if (specs.length === 0) {
    const known = loaded.channels.map((c) => c.name).join(', ') || 'none';
    process.stderr.write(`healer notify: ${only === undefined ? 'no alert channels are configured' : `no channel named "${only}"`} (channels: ${known})\n`);
    return 1;
  }
  const dispatcher = new Agent({ connect: { timeout: 10_000 } });
  // The host as healer's alerts name it (run with `docker exec`, the hostname is the container's id).
  const { host } = await alertHostName(selfContainerClues(), () =>
    connectDocker(loaded.config.docker).then((c) => engineHostName(c.docker), (err: unknown) => ({ error: (err as Error).message })),
  );
  const alerter = new Alerter({ specs, config: loaded.config.alerts, secrets: loaded.secrets, dispatcher, log: createLogger({ level: 'silent', format: 'json' }), host });
  const alert = alerter.testAlert();
  let failed = 0;
  for (const channel of alerter.channels) {
    const type = specs.find((s) => s.name === channel.name)?.type ?? '?';
    try {
      await channel.sendOnce(alert);
      process.stdout.write(`delivered  ${channel.name} (${type})\n`);
    } catch (err) {
      failed++;
      process.stdout.write(`FAILED     ${channel.name} (${type}): ${redact((err as Error).message, loaded.secrets)}\n`);
    }
  }
  await alerter.flush(0);
  await dispatcher.close();
  return failed > 0 ? 1 : 0;
}

async function run(loaded: LoadedConfig, dropped: Dropped | undefined): Promise<number> {
  const log = createLogger(loaded.config.log);
  if (dropped) log.info(dropped, 'running as a non-root user; the docker socket is reached through its group');
  const abort = new AbortController();
  let running: Awaited<ReturnType<typeof startHealer>> | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    log.info({ signal }, 'stopping: no new probes; waiting for in-flight work');
    abort.abort();
    stopping = running?.stop() ?? Promise.resolve();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  try {
    running = await startHealer({ loaded, log, signal: abort.signal });
  } catch (err) {
    if (abort.signal.aborted) return 0;
    log.fatal({ err: (err as Error).message }, 'healer could not start');
    return 1;
  }
  if (abort.signal.aborted) stopping = running.stop();
  await new Promise<void>((resolve) => abort.signal.addEventListener('abort', () => resolve(), { once: true }));
  await stopping;
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`healer: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
