/**
 * The Engine API versions healer speaks: from Engine 20.10's 1.41 up to 1.52 (Engine 29), the newest
 * whose documented changes healer handles: events without the legacy `status`/`id`/`from` fields and
 * served as `application/jsonl` (read line by line either way), `Health` in the container list (unused:
 * health is read from inspect), no top-level `NetworkSettings.IPAddress` in inspect (only per-network
 * addresses are read).
 */
export const MIN_API = '1.41';
export const MAX_API = '1.52';

/** Compares dotted API versions: negative when a < b. */
export function compareApi(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am !== bm ? am - bm : an - bn;
}

/**
 * The version to speak: the engine's own capped at MAX_API, never below the engine's minimum (Engine 29
 * refuses anything below 1.44). An error names both versions when no version fits.
 */
export function negotiateApi(engineApi: string, engineMin?: string): string {
  if (compareApi(engineApi, MIN_API) < 0) {
    throw new Error(`the Docker engine speaks API ${engineApi}; healer needs ${MIN_API} (Engine 20.10) or newer: upgrade the engine`);
  }
  const speak = compareApi(engineApi, MAX_API) > 0 ? MAX_API : engineApi;
  if (engineMin !== undefined && engineMin !== '' && compareApi(speak, engineMin) < 0) {
    throw new Error(
      `the Docker engine accepts API ${engineMin} or newer, and healer speaks at most ${MAX_API}: use a newer healer, or run the engine with DOCKER_MIN_API_VERSION=${MAX_API}`,
    );
  }
  return speak;
}

/**
 * What to do when the engine refuses the API version (`client version 1.41 is too old. Minimum
 * supported API version is 1.44, ...`); undefined for any other message.
 */
export function tooOldHint(message: string): string | undefined {
  const m = /client version (\d+\.\d+) is too old\.?\s*Minimum supported API version is (\d+\.\d+)/i.exec(message);
  if (!m) return undefined;
  return `the engine refuses API ${m[1] ?? '?'} (its minimum is ${m[2] ?? '?'}; healer speaks up to ${MAX_API}): restart healer so it negotiates again, use a newer healer, or set DOCKER_MIN_API_VERSION=${m[1] ?? '?'} on the engine`;
}
