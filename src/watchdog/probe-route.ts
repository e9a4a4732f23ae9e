import { forbiddenTarget, ownAddresses, ownAt, ownLoopback, refuseProbe, type OwnAddresses, type ProbeRules } from '../config/confine.ts';
import type { ProbePolicy } from '../config/policy.ts';
import { redactProbeSpec } from '../config/probe-spec.ts';
import type { AddressResult } from '../docker/address.ts';
import type { ContainerInfo } from '../docker/types.ts';
import { engineApiAt, pinOwnName, type Lookup } from '../probes/pin.ts';
import { needsAddress } from './discover.ts';
import type { Route } from './probe-once.ts';

/**
 * Where one probe goes now. A label's target (SECURITY.md, rule 1) is judged again here, at each probe,
 * on what it is now: a container's addresses change when it starts again (an IP a label wrote may be
 * another container's by then), the empty host of a `container:` container is its owner's address, a
 * name is resolved and pinned (probes/pin.ts), and the container's own loopback is its own only from the
 * host's network namespace. A refusal is a configuration problem: inconclusive, nothing is sent.
 */
export function routeProbe(
  p: ProbePolicy,
  info: ContainerInfo,
  addr: AddressResult,
  rules: ProbeRules,
  signal: AbortSignal,
  lookup?: Lookup,
): Route | Promise<Route> {
  const spec = p.spec;
  const unroutable = (): Route => ({ ok: false, error: `the container ${addr.ok ? '' : addr.error}` });
  const to = (address: string, connectTo?: string): Route => ({ ok: true, target: { containerId: info.id, address, connectTo } });
  if (p.confined !== true || (spec.kind !== 'http' && spec.kind !== 'tcp')) {
    if (!addr.ok && needsAddress(p)) return unroutable();
    return to(addr.ok ? addr.address : '');
  }
  const refused = (why: string): Route => ({ ok: false, error: `${redactProbeSpec(spec)} refused: ${why}` });
  const own = (): OwnAddresses => ownAddresses(info.networkMode, info.networks);
  if (p.pinOwn === true) {
    // Its own addresses, but healer cannot reach them from where it runs (the loopback of a host-network
    // container seen from healer's bridge network is healer's own): as for the empty host.
    return pinOwnName(spec, rules, own(), signal, lookup).then((pin) => (!pin.ok ? { ok: false, error: pin.error } : addr.ok ? to(pin.address, pin.address) : unroutable()));
  }
  let address: string;
  if (spec.host === '') {
    if (!addr.ok) return unroutable();
    address = addr.address;
    const why = forbiddenTarget(address, spec.port, rules, ownAt(address));
    if (why !== undefined) return refused(why);
  } else {
    address = spec.host;
    const mine = own();
    const why = refuseProbe(spec, rules, mine);
    if (why !== undefined) return refused(why);
    if (ownLoopback(spec, rules, mine) && !addr.ok) return unroutable();
  }
  const target = to(addr.ok ? addr.address : '');
  // The Engine API by another name of the proxy healer talks to: told apart only by resolving that name.
  if (rules.dockerApi === undefined || spec.port !== rules.dockerApi.port) return target;
  return engineApiAt([address], spec.port, rules, signal, lookup).then((why) => (why === undefined ? target : refused(why)));
}
