import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Writable } from 'node:stream';
import Docker from 'dockerode';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { startHealer, type Running } from '../../src/main.ts';
import type { Clock } from '../../src/watchdog/clock.ts';

/** Every container a test creates carries this label, so leftovers are found and removed. */
export const TEST_LABEL = 'healer-test';
export const IMAGE = 'healer-test-busybox:latest';

export const docker = new Docker({ socketPath: '/var/run/docker.sock' });

/** Fails loudly (never skips) when no engine answers: CI must start one (.ci/run does). */
export async function requireEngine(): Promise<void> {
  try {
    await docker.ping();
    await docker.getImage(IMAGE).inspect();
  } catch (err) {
    throw new Error(
      `end-to-end tests need a Docker engine and the test image (${(err as Error).message}); run scripts/engine-up.sh and scripts/build-test-images.sh`,
      { cause: err },
    );
  }
}

/** Removes the containers of a run (or of every run when no id is given). */
export async function removeTestContainers(runId?: string): Promise<void> {
  const label = runId ? `${TEST_LABEL}=${runId}` : TEST_LABEL;
  const list = await docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
}

export const newRunId = (): string => randomBytes(4).toString('hex');

/**
 * A busybox app on the host network: httpd serves /www/health on 127.0.0.1:port (daemonised, so killing
 * it leaves the container running); the shell exits promptly on SIGTERM.
 */
export function appCommand(port: number): string[] {
  return ['sh', '-c', `mkdir -p /www; echo ok > /www/health; httpd -p 127.0.0.1:${port} -h /www; trap "exit 0" TERM; while true; do sleep 0.2; done`];
}

export async function runContainer(opts: {
  runId: string;
  name: string;
  labels?: Record<string, string>;
  cmd: string[];
  healthcheck?: { test: string[]; intervalMs: number; retries: number };
  networkMode?: string;
  restartPolicy?: string;
}): Promise<string> {
  const c = await docker.createContainer({
    name: `${opts.name}-${opts.runId}`,
    Image: IMAGE,
    Cmd: opts.cmd,
    Labels: { [TEST_LABEL]: opts.runId, ...opts.labels },
    ...(opts.healthcheck
      ? { Healthcheck: { Test: opts.healthcheck.test, Interval: opts.healthcheck.intervalMs * 1e6, Retries: opts.healthcheck.retries, Timeout: 2e9 } }
      : {}),
    HostConfig: { NetworkMode: opts.networkMode ?? 'host', ...(opts.restartPolicy ? { RestartPolicy: { Name: opts.restartPolicy } } : {}) },
  });
  await c.start();
  return c.id;
}

export async function execIn(id: string, cmd: string[]): Promise<void> {
  const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = (await exec.start({ hijack: true, stdin: false })) as Readable;
  stream.resume();
  await new Promise((resolve) => stream.once('end', resolve));
}

export interface SeenEvent {
  readonly id: string;
  readonly action: string;
  readonly at: number;
}

/** An independent observer of the engine's events for one run's containers. */
export async function recordEvents(runId: string): Promise<{ events: SeenEvent[]; count(id: string, action: string): number; close(): void }> {
  const stream = (await docker.getEvents({ filters: { type: ['container'], label: [`${TEST_LABEL}=${runId}`] } })) as Readable;
  const events: SeenEvent[] = [];
  let buf = '';
  stream.on('data', (chunk: Buffer) => {
    buf += chunk.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const e = JSON.parse(line) as { id: string; Action: string };
      events.push({ id: e.id, action: e.Action.split(':')[0] ?? e.Action, at: Date.now() });
    }
  });
  return {
    events,
    count: (id, action) => events.filter((e) => e.id === id && e.action === action).length,
    close: () => stream.destroy(),
  };
}

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly container?: string;
  readonly [k: string]: unknown;
}

/**
 * Starts healer in this process against the real engine, with its logs captured as objects; `clock` (the
 * system clock by default) lets a test step healer's wall clock (helpers/stepped-clock.ts).
 */
export async function startTestHealer(
  env: Record<string, string>,
  rawYaml?: string,
  self?: { ids: string[]; hostname: string },
  clock?: Clock,
): Promise<{ healer: Running; logs: LogLine[]; stop(): Promise<void> }> {
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as LogLine);
      cb();
    },
  });
  let path: string | undefined;
  if (rawYaml !== undefined) {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    path = `${mkdtempSync(`${tmpdir()}/healer-test-`)}/watchdog.yml`;
    writeFileSync(path, rawYaml);
  }
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const stateDir = mkdtempSync(`${tmpdir()}/healer-state-`);
  const loaded = loadConfig(path, { HEALER_STATE_PATH: `${stateDir}/state.json`, HEALER_SERVER_LISTEN: '127.0.0.1:0', ...env });
  const log = pino({ level: 'debug' }, sink);
  const healer = await startHealer({ loaded, log, ...(self ? { self } : {}), ...(clock ? { clock } : {}) });
  return { healer, logs, stop: () => healer.stop(5000) };
}

/**
 * The environment for an engine a test starts (dockerd, the Swarm engine): the system's TMPDIR, not the
 * test run's (test/global-setup.ts), which is removed when the run ends while the engine runs on.
 */
export function engineEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  const system = env.HEALER_TESTS_SYSTEM_TMPDIR;
  if (system === undefined) return env;
  if (system === '') delete env.TMPDIR;
  else env.TMPDIR = system;
  delete env.HEALER_TESTS_SYSTEM_TMPDIR;
  return env;
}

/** Polls until `fn` returns a truthy value or the time runs out (then throws with `what`). */
export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs}ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function isRunning(id: string): Promise<boolean> {
  return (await docker.getContainer(id).inspect()).State.Running;
}

/**
 * The lifecycle of an end-to-end test file: fail loudly without an engine, remove leftovers before,
 * and after each test run its deferred cleanups and remove every test container (files run one at a
 * time, so nothing else is using them).
 */
export function engineSuite(): { defer(...fns: (() => Promise<void> | void)[]): void } {
  let cleanups: (() => Promise<void> | void)[] = [];
  beforeAll(async () => {
    await requireEngine();
    await removeTestContainers();
  });
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups = [];
    await removeTestContainers();
  });
  afterAll(() => removeTestContainers());
  return { defer: (...fns) => void cleanups.push(...fns) };
}

/**
 * Stops the engine the test set-up started (SIGTERM to dockerd, then waits until it is gone) and returns
 * a function that starts it again with scripts/engine-up.sh and waits until it answers.
 */
export async function stopEngine(): Promise<() => Promise<void>> {
  const { execFileSync, execFile } = await import('node:child_process');
  const pids = execFileSync('pidof', ['dockerd'], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
  for (const pid of pids) process.kill(pid, 'SIGTERM');
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  await waitFor('dockerd to exit', () => pids.every((p) => !alive(p)), 60_000);
  const root = new URL('../../', import.meta.url).pathname;
  return () =>
    new Promise<void>((resolve, reject) => {
      execFile(`${root}scripts/engine-up.sh`, { timeout: 60_000, env: engineEnv() }, (err, _stdout, stderr) => (err ? reject(new Error(`engine-up failed: ${stderr}`)) : resolve()));
    });
}

/** Labels of a watched test app with a fast liveness probe: every 300 ms (and a timeout of the same), 2 failures to act, 1 s restart timeout. */
export function fastLabels(runId: string, probe: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'healer.enable': 'true',
    'healer.scope': runId,
    'healer.liveness': probe,
    'healer.liveness.interval': '300ms',
    'healer.liveness.failures': '2',
    'healer.restart.timeout': '1s',
    ...extra,
  };
}

/**
 * Runs the built CLI (`dist/cli.js`, the bundle; or `cli`, a copy of it) as its own process with its JSON
 * log lines parsed as they come;
 * killed (SIGKILL) by the given cleanup registry if the test has not stopped it.
 */
export function spawnHealer(
  env: Record<string, string>,
  defer: (fn: () => Promise<void>) => void,
  cli = new URL('../../dist/cli.js', import.meta.url).pathname,
): { child: ChildProcess; lines: LogLine[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [cli], { env: { ...process.env, HEALER_CONFIG: '', HEALER_SERVER_LISTEN: '127.0.0.1:0', ...env } });
  const lines: LogLine[] = [];
  let buf = '';
  child.stdout?.on('data', (c: Buffer) => {
    buf += c.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    for (const p of parts) if (p) lines.push(JSON.parse(p) as LogLine);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  defer(async () => {
    child.kill('SIGKILL');
    await exited;
  });
  return { child, lines, exited };
}
