import { createRequire } from 'node:module';
import type * as Undici from 'undici';

/**
 * undici as healer uses it: the Agent (probes, alert delivery) and request(). undici's index loads the
 * whole package when imported (fetch, WebSocket, EventSource, caches, mocks), ~5 MB resident and ~700 KB
 * of the bundle that a watchdog never uses; these two come from their own files instead, and behave as
 * the package's own (the same code; request() builds its options as undici's index does). Should undici
 * move these files, the bundle build (npm run build) and test/unit/slim.test.ts fail, rather than the
 * whole package coming back silently.
 */
const require = createRequire(import.meta.url);

type RequestFn = (this: Undici.Dispatcher, opts: Undici.Dispatcher.RequestOptions) => Promise<Undici.Dispatcher.ResponseData>;

const loaded = {
  Agent: require('undici/lib/dispatcher/agent.js') as typeof Undici.Agent,
  request: require('undici/lib/api/api-request.js') as RequestFn,
};

export const Agent = loaded.Agent;
export type Agent = Undici.Agent;

/** undici's request(url, opts) through `dispatcher`. */
export function request(
  url: string,
  opts: Omit<Undici.Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & { method: Undici.Dispatcher.HttpMethod; dispatcher: Undici.Dispatcher },
): Promise<Undici.Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = opts;
  const u = new URL(url);
  return loaded.request.call(dispatcher, { ...rest, origin: u.origin, path: u.search ? `${u.pathname}${u.search}` : u.pathname });
}
