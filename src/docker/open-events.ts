import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { eventFilter, type EngineInfo } from './dialect.ts';
import { unanswered, wrap } from './engine-error.ts';

/** Event actions the watchdog follows; the engine filters the stream to these. */
export const FOLLOWED_ACTIONS = ['start', 'die', 'stop', 'kill', 'destroy', 'restart', 'oom', 'health_status', 'rename', 'pause', 'unpause', 'update'] as const;
/**
 * A network's events followed: a container joining or leaving one (`docker network disconnect`) changes
 * the address its probes go to, and nothing else tells (its inspect data is otherwise read again only as
 * it starts). Read as `network_connect`/`network_disconnect` of the container (parse-event.ts).
 */
export const FOLLOWED_NETWORK_ACTIONS = ['connect', 'disconnect'] as const;

/**
 * Opens the event stream from `since` (seconds): container events filtered to FOLLOWED_ACTIONS in the
 * engine's names, and networks' connect/disconnect (the engine matches any listed type and action). The
 * answer's headers must come within `answerMs` (the stream itself then lasts as long as it does): a proxy
 * or engine that takes the request and never answers would otherwise hold the reconnect for ever.
 */
export async function openEvents(docker: Docker, engine: EngineInfo['engine'], sinceSeconds: number | undefined, answerMs: number): Promise<Readable> {
  const answer = new AbortController();
  const timer = setTimeout(() => answer.abort(), answerMs);
  try {
    return (await docker.getEvents({
      ...(sinceSeconds !== undefined ? { since: sinceSeconds } : {}),
      filters: { type: ['container', 'network'], event: [...eventFilter(engine, FOLLOWED_ACTIONS), ...FOLLOWED_NETWORK_ACTIONS] },
      abortSignal: answer.signal,
    } as Docker.GetEventsOptions)) as Readable;
  } catch (err) {
    throw wrap('follow events', 'GET /events', unanswered(err, answer.signal, answerMs));
  } finally {
    clearTimeout(timer);
  }
}
