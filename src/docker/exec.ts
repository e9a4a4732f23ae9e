import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { statusOf, wrap } from './engine-error.ts';
import { readBounded } from './streams.ts';

/** Where an exec stands, read the same on Docker and Podman (execState). */
export type ExecState = 'created' | 'running' | 'exited';

/**
 * Docker keeps an exited exec's `Pid` and leaves `CanRemove` false (a start that failed: no `Pid`, exit
 * code 126 or 127); Podman zeroes `Pid` on exit and sets `CanRemove`, and answers `ExitCode: 0` for an
 * exec it never started. Neither engine has a started-at.
 */
export function execState(i: { readonly Running?: boolean; readonly Pid?: number; readonly CanRemove?: boolean; readonly ExitCode?: number | null }): ExecState {
  if (i.Running === true) return 'running';
  return i.CanRemove === true || (i.Pid ?? 0) > 0 || (i.ExitCode ?? 0) !== 0 ? 'exited' : 'created';
}

/**
 * The command this probe started at an earlier run (same container, same probe, same argv) is still
 * running past that run's timeout: no engine can kill an exec'd process (Docker has no call for it;
 * Podman only from 4.8), so starting another would pile hung commands up in the container, one per
 * interval. The probe fails instead, as a timeout does. Only the probe's own leftover counts: another
 * probe's (readiness with a shorter timeout, the same command) says nothing of whether this one passes.
 */
export class ExecStillRunning extends Error {
  readonly execId: string;
  constructor(execId: string) {
    super(`the command of an earlier probe is still running (exec ${execId.slice(0, 12)})`);
    this.name = 'ExecStillRunning';
    this.execId = execId;
  }
}

/**
 * At the timeout the engine had not yet started the command (`not-started`: an engine under load), or did
 * not say whether it had (`unknown`): nothing is known about the container.
 */
export class ExecUnsettled extends Error {
  readonly why: 'not-started' | 'unknown';
  constructor(why: 'not-started' | 'unknown', cause?: unknown) {
    super(why === 'not-started' ? 'the engine had not started the command' : 'the engine did not say whether the command ran', { cause });
    this.name = 'ExecUnsettled';
    this.why = why;
  }
}

/** Execs left running (or never started) at a timeout, checked before the same probe runs again. */
const LEFT_MAX = 1024;
/** Session removals waiting for an answer: beyond these a session is left to Podman's own delay (an engine under load). */
const REMOVING_MAX = 64;

/**
 * Runs exec probes' commands and keeps what outlives them in check: the exec a timed-out probe left behind
 * (the next probe of the same command waits for it to end instead of adding another), and Podman's exec
 * sessions, which Podman keeps for 5 minutes after they exit (`exit_command_delay`, with two conmon
 * processes each) unless removed: from Podman 4.8 healer removes each one as soon as its exit code is read.
 */
export class ExecRunner {
  /** By container, probe and argv: one probe's leftover never holds up (or fails) another probe. */
  private readonly left = new Map<string, string>();
  /**
   * Whether `POST /libpod/exec/{id}/remove` exists: learnt from the first answer that tells (Docker and
   * Podman < 4.8 say 404); a server error or no answer tells nothing, and leaves it unknown.
   */
  private removable: boolean | undefined;
  private removing = 0;
  private readonly docker: Docker;
  constructor(docker: Docker) {
    this.docker = docker;
  }

  /**
   * Runs `argv` in the container and returns its exit code and (bounded) output. `phase` is told when the
   * command is started and when its output ended. On a timeout during the command, the exec is inspected
   * (bounded by `answerMs`): a command that exited counts by its exit code, one still running is the
   * timeout (and is remembered for `probe`), one the engine had not started is ExecUnsettled.
   */
  async run(id: string, argv: readonly string[], signal: AbortSignal, phase: ((p: 'command' | 'inspect') => void) | undefined, answerMs: number, probe: string): Promise<{ exitCode: number; output: string }> {
    const key = `${id}\0${probe}\0${argv.join('\0')}`;
    let stream: Readable | undefined;
    let execId: string | undefined;
    let commandRuns = false;
    try {
      await this.earlierEnded(key, signal);
      const exec = await this.docker.getContainer(id).exec({ Cmd: [...argv], AttachStdout: true, AttachStderr: true, abortSignal: signal });
      execId = exec.id;
      signal.throwIfAborted();
      phase?.('command');
      commandRuns = true;
      stream = await exec.start({ hijack: true, stdin: false, abortSignal: signal });
      const output = await readBounded(stream, signal, 4096);
      commandRuns = false;
      phase?.('inspect');
      const info = await exec.inspect({ abortSignal: signal });
      if (execState(info) === 'exited') this.remove(exec.id);
      return { exitCode: info.ExitCode ?? -1, output };
    } catch (err) {
      stream?.destroy();
      const timedOut = signal.aborted && (signal.reason as Error | undefined)?.name === 'TimeoutError';
      if (timedOut && commandRuns && execId !== undefined) return this.settle(key, execId, signal, answerMs);
      if (signal.aborted) throw signal.reason;
      if (err instanceof ExecStillRunning) throw err;
      throw wrap(`exec in ${id.slice(0, 12)}`, 'POST /containers/{id}/exec', err);
    }
  }

  /** The command's time ran out: what the engine says of it decides what the probe found. */
  private async settle(key: string, execId: string, signal: AbortSignal, answerMs: number): Promise<{ exitCode: number; output: string }> {
    let info: { Running?: boolean; Pid?: number; CanRemove?: boolean; ExitCode?: number | null };
    try {
      info = await this.docker.getExec(execId).inspect({ abortSignal: AbortSignal.timeout(answerMs) });
    } catch (err) {
      this.remember(key, execId);
      throw new ExecUnsettled('unknown', err);
    }
    const state = execState(info);
    if (state === 'exited') {
      // It ended as the time ran out; only its output's end was late (the engine's stream, not the command).
      this.remove(execId);
      return { exitCode: info.ExitCode ?? -1, output: '' };
    }
    this.remember(key, execId);
    if (state === 'created') throw new ExecUnsettled('not-started');
    throw signal.reason;
  }

  private remember(key: string, execId: string): void {
    this.left.delete(key);
    this.left.set(key, execId);
    // Bounded: an entry of a removed container is never asked for again; forgetting the oldest costs at most one extra exec.
    if (this.left.size > LEFT_MAX) this.left.delete(this.left.keys().next().value ?? '');
  }

  /** Throws ExecStillRunning while the exec an earlier probe left behind still runs; one that ended, or is gone, is forgotten. */
  private async earlierEnded(key: string, signal: AbortSignal): Promise<void> {
    const earlier = this.left.get(key);
    if (earlier === undefined) return;
    let state: ExecState;
    try {
      state = execState(await this.docker.getExec(earlier).inspect({ abortSignal: signal }));
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      state = 'exited';
    }
    if (state === 'running') throw new ExecStillRunning(earlier);
    // One never started is no process in the container; waiting for it could keep the probe from ever
    // running. Podman keeps a never-started session until the container stops: removed too where it can be.
    this.left.delete(key);
    this.remove(earlier);
  }

  /**
   * Removes an exec session that is not running where the engine has the call (Podman 4.8+); never waited
   * for, never throws, never retried (one left is removed by Podman itself after its exit_command_delay).
   * Until an answer says whether the call exists, one removal at a time asks.
   */
  private remove(execId: string): void {
    if (this.removable === false || this.removing >= (this.removable === true ? REMOVING_MAX : 1)) return;
    this.removing++;
    const modem = this.docker.modem as { dial(o: object, cb: (err: Error | null) => void): void };
    const statusCodes = { 200: true, 204: true, 404: 'not found', 500: 'server error' };
    const options = { _query: {}, _body: { Force: false } };
    modem.dial({ path: `/libpod/exec/${execId}/remove`, method: 'POST', abortSignal: AbortSignal.timeout(10_000), statusCodes, options }, (err) => {
      this.removing--;
      const found = routeFound(err);
      if (found !== undefined) this.removable = found;
    });
  }
}

/**
 * What a removal's answer says of the route: there (removed, or Podman's "no such exec session"), missing
 * (any other 404: Docker, Podman < 4.8; 405; a socket proxy's 403: Podman then removes sessions itself,
 * after its exit_command_delay), or nothing (a 500 of a container being stopped, a timeout of an engine
 * under load: that one session's problem, never a reason to stop removing the next ones).
 */
function routeFound(err: Error | null): boolean | undefined {
  if (err === null) return true;
  const status = statusOf(err);
  if (status === 404) return /no such exec session/i.test(detail(err));
  return status === 403 || status === 405 ? false : undefined;
}

function detail(err: Error): string {
  const json = (err as { json?: unknown }).json;
  return `${err.message} ${typeof json === 'string' ? json : JSON.stringify(json ?? '')}`;
}
