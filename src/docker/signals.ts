import { constants } from 'node:os';

/** Linux's real-time signal range as Docker numbers it (moby's signal map; glibc keeps 32 and 33 for itself). */
const SIGRTMIN = 34;
const SIGRTMAX = 64;

/**
 * A signal as the engine names it → its Linux number; undefined when unknown. Docker's kill event gives
 * the number (`15`, `37`), a container's StopSignal any spelling `docker run --stop-signal` takes
 * (`SIGTERM`, `TERM`, `15`, `SIGRTMIN+3`, `RTMIN+3`, `SIGRTMAX-2`), Podman's inspect the number (`15`):
 * read alike so a kill can be matched with the container's own stop signal. Real-time signals (systemd
 * images stop on SIGRTMIN+3) are read here because Node's os.constants.signals does not list them.
 */
export function signalNumber(signal: string | undefined): number | undefined {
  if (signal === undefined) return undefined;
  const s = signal.trim().toUpperCase();
  if (/^\d+$/.test(s)) return Number(s);
  const name = s.startsWith('SIG') ? s.slice(3) : s;
  const rt = /^RT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name);
  if (rt) {
    const base = rt[1] === 'MIN' ? SIGRTMIN : SIGRTMAX;
    const n = rt[3] === undefined ? base : base + (rt[2] === '+' ? 1 : -1) * Number(rt[3]);
    return n >= SIGRTMIN && n <= SIGRTMAX ? n : undefined;
  }
  return constants.signals[`SIG${name}` as keyof typeof constants.signals];
}

/**
 * The signals whose purpose is to end a process, whatever the container's StopSignal: SIGKILL; SIGTERM,
 * the conventional termination request (nginx's fast shutdown, what most apps exit on); SIGINT, what
 * `docker stop --signal SIGINT` (Docker 23+) and Ctrl-C send; SIGQUIT, nginx's graceful stop and the
 * STOPSIGNAL of its official image, which `docker stop --signal SIGQUIT` sends to any container. A drain
 * after one of these is an operator's stop; restarting during it would undo that stop.
 */
const ENDING: ReadonlySet<number> = new Set([2, 3, 9, 15]);

/**
 * Whether a kill the engine reports starts a stop: one of the ending signals, or the container's own
 * StopSignal (what `docker stop` sends it: systemd's SIGRTMIN+3, httpd's SIGWINCH), in any spelling.
 * Not a signal that only asks a running app to do something (HUP and USR1 reload or reopen logs, USR2,
 * WINCH when it is not the StopSignal): the container lives on, and its next crash is a crash. A kill
 * whose signal the engine does not say (Podman's kill events carry none) may be any of them: taken for
 * a stop, the side that never restarts during one.
 */
export function isStopSignal(signal: string | undefined, stopSignal: string | undefined): boolean {
  const n = signalNumber(signal);
  if (n === undefined) return true;
  return ENDING.has(n) || n === signalNumber(stopSignal);
}
