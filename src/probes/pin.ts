import { lookup } from 'node:dns/promises';
import { confinedHint, refuseResolved, type OwnAddresses, type ProbeRules } from '../config/confine.ts';
import type { ProbeSpec } from '../config/probe-spec.ts';

/** Every address a name resolves to, as the system resolver answers (`/etc/hosts`, Docker's DNS). */
export type Lookup = (name: string) => Promise<readonly string[]>;

export const systemLookup: Lookup = async (name) => (await lookup(name, { all: true, verbatim: true })).map((a) => a.address);

export type Pinned = { readonly ok: true; readonly address: string } | { readonly ok: false; readonly error: string };

/**
 * Where a label's probe to a name goes (SECURITY.md, rule 2): the name is resolved now, at each probe
 * (a container's addresses change when it starts again), and may be used only when every address it
 * resolves to is the container's own; the probe then connects to the first of them, so a DNS answer
 * that changes between this check and the connection (rebinding) is never followed. Anything else is
 * refused, and no connection is made. A name that does not resolve from where healer runs is refused
 * the same way: a configuration problem, never a failure of the container.
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
  let addresses: readonly string[];
  try {
    addresses = await untilAborted(resolve(name), signal);
  } catch (err) {
    const why = signal.aborted && signal.reason instanceof Error ? signal.reason.message : describe(err);
    return { ok: false, error: `${name} could not be resolved from where healer runs (${why}); ${hint}` };
  }
  if (addresses.length === 0) return { ok: false, error: `${name} resolves to no address; ${hint}` };
  for (const address of addresses) {
    const refused = refuseResolved(address, spec.port, rules, own);
    if (refused !== undefined) {
      const all = addresses.length === 1 ? '' : ` (of ${addresses.join(', ')})`;
      return { ok: false, error: `${name} resolves to ${address}${all}: ${refused}; ${hint}` };
    }
  }
  return { ok: true, address: addresses[0] as string };
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
