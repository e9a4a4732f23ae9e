import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { confinedHint, refuseResolved, type OwnAddresses, type ProbeRules } from '../config/confine.ts';
import type { ProbeSpec } from '../config/probe-spec.ts';

/** Every address a name resolves to, as the system resolver answers (`/etc/hosts`, Docker's DNS). */
export type Lookup = (name: string) => Promise<readonly string[]>;

export const systemLookup: Lookup = async (name) => (await lookup(name, { all: true, order: 'ipv4first' })).map((a) => a.address);

export type Pinned = { readonly ok: true; readonly address: string } | { readonly ok: false; readonly error: string };

/**
 * Where a label's probe to a name goes (SECURITY.md, rule 1): the name is resolved now, at each probe
 * (a container's addresses change when it starts again), and may be used only when every address it
 * resolves to is the container's own; the probe then connects to one of them (IPv4 first, as a
 * service listening on 127.0.0.1 only is common), so a DNS answer that changes between this check and
 * the connection (rebinding) is never followed. Anything else is refused, and no connection is made.
 * A name that does not resolve from where healer runs is refused the same way: a configuration
 * problem, never a failure of the container.
 */
export async function pinOwnName(
  spec: ProbeSpec,
  rules: ProbeRules,
  own: OwnAddresses,
  signal: AbortSignal,
  resolve: Lookup = systemLookup,
): Promise<Pinned> {
  if (spec.kind !== 'http' && spec.kind !== 'tcp') return { ok: false, error: `a ${spec.kind} probe has no host` };
  const name = spec.host.toLowerCase();
  const hint = confinedHint(spec.kind, spec.port, name);
  let answer: readonly string[];
  try {
    answer = await untilAborted(resolveOnce(resolve, name), signal);
  } catch (err) {
    const why = signal.aborted && signal.reason instanceof Error ? signal.reason.message : describe(err);
    return { ok: false, error: `${name} could not be resolved from where healer runs (${why}); ${hint}` };
  }
  // In a fixed order: a resolver rotating its answers (a scaled service) gives the same reason each time.
  const addresses = [...new Set(answer)].sort(ipv4First);
  if (addresses.length === 0) return { ok: false, error: `${name} resolves to no address; ${hint}` };
  const all = addresses.length === 1 ? '' : ` (of ${addresses.join(', ')})`;
  for (const address of addresses) {
    const refused = refuseResolved(address, spec.port, rules, own);
    if (refused !== undefined) return { ok: false, error: `${name} resolves to ${address}${all}: ${refused}; ${hint}` };
  }
  const api = await engineApiAt(addresses, spec.port, rules, signal, resolve);
  if (api !== undefined) return { ok: false, error: `${name} resolves to ${addresses.join(', ')}: ${api}; ${hint}` };
  return { ok: true, address: addresses[0] as string };
}

/**
 * Why none of `addresses` may be probed on `port` when `docker.host` is `tcp://<name>:<port>`: another
 * name of the same socket proxy (its container name, a network alias) must not reach the Engine API.
 * Undefined when none of them is it. When that cannot be told (the name does not answer in time), the
 * probe is refused: it is on the Engine API's port.
 */
export async function engineApiAt(addresses: readonly string[], port: number, rules: ProbeRules, signal: AbortSignal, resolve: Lookup = systemLookup): Promise<string | undefined> {
  const api = rules.dockerApi;
  if (api === undefined || port !== api.port || isIP(api.host) !== 0) return undefined;
  let theirs: readonly string[];
  try {
    theirs = await untilAborted(resolveOnce(resolve, api.host.toLowerCase()), signal);
  } catch {
    return `port ${port} is the Docker Engine API's (docker.host ${api.host}), and ${api.host} could not be resolved to tell it apart`;
  }
  const hit = addresses.find((a) => theirs.includes(a));
  return hit === undefined ? undefined : `${hit}:${port} is the Docker Engine API healer uses (docker.host ${api.host})`;
}

const IN_FLIGHT = new WeakMap<Lookup, Map<string, Promise<readonly string[]>>>();
const LAST = new WeakMap<Lookup, Promise<unknown>>();

/**
 * One lookup in flight per name, and one at a time for all names labels chose: getaddrinfo holds one
 * of libuv's few threads until it answers and cannot be cancelled, so a label naming a host whose DNS
 * never answers must not take the threads that other lookups (allowed hosts, alert receivers) need.
 * A probe that gives up waiting leaves the lookup running; the next probe of that name joins it.
 */
function resolveOnce(resolve: Lookup, name: string): Promise<readonly string[]> {
  let names = IN_FLIGHT.get(resolve);
  if (!names) IN_FLIGHT.set(resolve, (names = new Map<string, Promise<readonly string[]>>()));
  const running = names.get(name);
  if (running) return running;
  const p = (LAST.get(resolve) ?? Promise.resolve()).then(() => resolve(name));
  const settled = p.then(
    () => void names.delete(name),
    () => void names.delete(name),
  );
  LAST.set(resolve, settled);
  names.set(name, p);
  return p;
}

function ipv4First(a: string, b: string): number {
  const fa = isIP(a);
  const fb = isIP(b);
  return fa !== fb ? fa - fb : a < b ? -1 : a > b ? 1 : 0;
}

function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e.code ?? e.message ?? String(err);
}
