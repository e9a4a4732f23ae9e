import type { IncomingMessage } from 'node:http';
import type Docker from 'dockerode';
import { unanswered, wrap } from './engine-error.ts';

/**
 * How the engine's clock stands to healer's: engine time = healer's time + `offsetMs`, to within
 * ± `slackMs`. A remote engine (`tcp://`) runs on another host's clock, minutes off when that host has no
 * NTP; the times it reports (StartedAt, FinishedAt) can only be compared with healer's through this.
 */
export interface EngineClock {
  readonly offsetMs: number;
  readonly slackMs: number;
}

/** A clock read is one ping: an engine that does not answer it within this is not waited for longer. */
export const CLOCK_READ_MS = 2_000;

/**
 * The engine's clock from an answer's HTTP `Date` header (RFC 9110's IMF-fixdate, whole seconds: Go's
 * net/http stamps every answer with it, Docker's and Podman's alike), asked at healer's `sentAt` and
 * answered at `receivedAt`. The engine's time lay in [date, date + 1 s) at some moment between the two,
 * so the offset is the middle of what that allows and the slack half its width. Undefined without a
 * readable header (a proxy that strips it).
 */
export function engineClockFrom(date: string | undefined, sentAt: number, receivedAt: number): EngineClock | undefined {
  const engineMs = httpDateMs(date ?? '');
  if (!Number.isFinite(engineMs) || receivedAt < sentAt) return undefined;
  const lo = engineMs - receivedAt;
  const hi = engineMs + 1000 - sentAt;
  return { offsetMs: Math.round((lo + hi) / 2), slackMs: Math.ceil((hi - lo) / 2) };
}

/**
 * An HTTP date in ms. HTTP dates are all GMT (RFC 9110), but Date.parse reads one with no zone (asctime's
 * `Tue Nov 24 07:58:05 2026`, or a proxy that drops the `GMT`) in healer's own time zone: on a host set to
 * New York that puts the engine's clock 5 h off. A date whose time (or asctime's year after it) ends it is
 * read as GMT; an explicit zone is honoured.
 */
function httpDateMs(date: string): number {
  const s = date.trim();
  return Date.parse(/\d{1,2}:\d{2}:\d{2}(?: \d{4})?$/.test(s) ? `${s} GMT` : s);
}

/**
 * Reads the engine's clock with a `GET /_ping` (the cheapest call, allowed by every socket proxy that lets
 * healer in): its answer's `Date` header, against healer's `now` around it. Throws an EngineError when the
 * engine does not answer within CLOCK_READ_MS or gives no date.
 */
export async function readEngineClock(docker: Docker, now: () => number): Promise<EngineClock> {
  const abortSignal = AbortSignal.timeout(CLOCK_READ_MS);
  const modem = docker.modem as { dial(o: object, cb: (err: Error | null, data: unknown) => void): void };
  const sentAt = now();
  try {
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      modem.dial({ path: '/_ping', method: 'GET', abortSignal, isStream: true, statusCodes: { 200: true, 500: 'server error' } }, (err, data) => (err ? reject(err) : resolve(data as IncomingMessage)));
    });
    const receivedAt = now();
    res.resume();
    const clock = engineClockFrom(res.headers.date, sentAt, receivedAt);
    if (!clock) throw new Error(`its answer has no readable Date header (${JSON.stringify(res.headers.date ?? null)})`);
    return clock;
  } catch (err) {
    throw wrap('read the engine\'s clock', 'GET /_ping', unanswered(err, abortSignal, CLOCK_READ_MS));
  }
}
