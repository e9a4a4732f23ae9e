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
