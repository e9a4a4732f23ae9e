import { BlockList } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { PublishedPort } from '../docker/types.ts';
import type { ListenAddress } from './fields.ts';
import { allowedByNet, explicitRule, familyOf, isLoopback, sameHost, unbracket, type HostRule } from './host-rules.ts';
import { describeBinding, listenerBindings, publishedListenerAt } from './published.ts';
import type { ProbeSpec } from './probe-spec.ts';
import type { Config } from './schema.ts';

/**
 * Where a label's probe may go (SECURITY.md, "Probe targets are confined to the container"). Label
 * authors are not trusted with healer's network position: a probe aimed at a socket proxy can stop any
 * container, one aimed at a metadata endpoint reads it bit by bit. So a label's http/tcp probe goes to
 * the container's own addresses only; watchdog.yml (trusted) widens that with `probes.allow_hosts`.
 *
 * IPs are judged when the labels are read. A name `probes.allow_hosts` does not list (other than
 * `localhost`, the own address of a host-network container only) is judged at each probe instead
 * (probes/pin.ts): it may be used only when every address it resolves to is the container's own (or
 * in a listed CIDR), and the probe connects to the address judged, never resolving twice (a DNS
 * answer can change between the check and the connection: rebinding).
 */

export { formatHostRule, parseHostRule, type HostRule } from './host-rules.ts';

/** The watchdog.yml side: what the operator allows, and what healer must never be aimed at. */
export interface ProbeRules {
  readonly allowHosts: readonly HostRule[];
  readonly allowMethods: readonly string[];
  readonly allowExec: boolean;
  /** The Engine API when healer reaches it over TCP (docker.host tcp://host:port), e.g. a socket proxy. */
  readonly dockerApi: { readonly host: string; readonly port: number } | undefined;
  /** healer's own listener. */
  readonly listen: ListenAddress;
  /**
   * The addresses of the interfaces healer's listener answers on besides loopback: every address of
   * healer's network namespace when it listens on a wildcard (its container's IPs, or the host's). Left
   * out: the listen host alone.
   */
  readonly listenerAddresses?: readonly string[] | undefined;
  /**
   * The host ports healer's own container publishes for its listener (config/published.ts): a host
   * address on one of them is healer's listener too. Read with healer's own container, at start.
   */
  readonly publishedListener?: readonly PublishedPort[] | undefined;
  /** The longest restart timeout a label may set (guards.max_label_restart_timeout). */
  readonly maxRestartTimeoutMs: number;
}

/**
 * The rules from a validated config; `interfaces` gives the addresses of healer's network namespace,
 * read again whenever the rules are judged (an address added after start, `docker network connect` or
 * a new bridge on the host network, is healer's own from then on); `published`, the ports healer's own
 * container publishes (none when it runs on the host or is not known).
 */
export function probeRules(
  config: Config,
  interfaces: readonly string[] | (() => readonly string[]) = localAddresses,
  published: readonly PublishedPort[] = [],
): ProbeRules {
  const addresses = typeof interfaces === 'function' ? interfaces : () => interfaces;
  const m = /^(?:tcp|https?):\/\/(\[[^\]]+\]|[^:/[\]]+):(\d{1,5})/.exec(config.docker.host.trim());
  const l = config.server.listen;
  const wildcard = l !== false && (l.host === '0.0.0.0' || l.host === '::' || l.host === '');
  return {
    get listenerAddresses() {
      return wildcard ? addresses() : undefined;
    },
    allowHosts: config.probes.allow_hosts,
    allowMethods: config.probes.allow_methods,
    allowExec: config.probes.allow_exec,
    dockerApi: m ? { host: unbracket(m[1] ?? ''), port: Number(m[2]) } : undefined,
    listen: config.server.listen,
    publishedListener: listenerBindings(published, config.server.listen),
    maxRestartTimeoutMs: config.guards.max_label_restart_timeout,
  };
}

/** The addresses that are the container's own: loopback for host-network containers, else its IPs. */
export interface OwnAddresses {
  readonly loopback: boolean;
  readonly ips: readonly string[];
}

/** From inspect data: `host` → loopback; `container:<id>` → none known (only the empty host is its own). */
export function ownAddresses(networkMode: string, networks: Readonly<Record<string, string>>): OwnAddresses {
  if (networkMode === 'host') return { loopback: true, ips: [] };
  if (networkMode.startsWith('container:')) return { loopback: false, ips: [] };
  return { loopback: false, ips: Object.values(networks).filter((ip) => ip !== '') };
}

/** Ports of the Engine API (plain and TLS), refused on every host unless explicitly allowed. */
const DOCKER_PORTS = new Set([2375, 2376]);

const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');

/**
 * Whether a label's probe may run as written; undefined when it may, else why not and which
 * watchdog.yml key would allow it (no connection is ever made to a refused target).
 */
export function refuseProbe(spec: ProbeSpec, rules: ProbeRules, own: OwnAddresses): string | undefined {
  if (spec.kind === 'docker') return undefined;
  if (spec.kind === 'exec') return rules.allowExec ? undefined : 'exec probes from labels are not allowed (set probes.allow_exec: true in watchdog.yml to allow them)';
  const host = spec.host.toLowerCase();
  const listed = explicitRule(host, rules.allowHosts);
  const key = `add ${host} to probes.allow_hosts in watchdog.yml to allow it`;
  // The empty host is the container's own address (127.0.0.1 for host-network containers).
  const effective = host === '' ? (own.loopback ? '127.0.0.1' : '') : host;
  const forbidden = forbiddenTarget(effective, spec.port, rules, own);
  if (forbidden !== undefined && !listed) {
    return `${forbidden}; healer never probes it for a label unless watchdog.yml lists the host explicitly (${host === '' ? 'set a host and add it to probes.allow_hosts' : key})`;
  }
  if (host === '' || isOwn(host, own) || listed || allowedByNet(host, rules.allowHosts) || pinsName(spec, rules, own)) return undefined;
  return `${host} is not one of the container's own addresses (${confinedHint(spec.kind, spec.port, host)})`;
}

/**
 * Whether a label's probe host is a name judged at each probe (probes/pin.ts) rather than now: a name
 * watchdog.yml does not list. `localhost` is judged now (its own address on the host network only).
 */
export function pinsName(spec: ProbeSpec, rules: ProbeRules, own: OwnAddresses): boolean {
  if (spec.kind !== 'http' && spec.kind !== 'tcp') return false;
  const host = spec.host.toLowerCase();
  return host !== '' && host !== 'localhost' && familyOf(host) === undefined && !isOwn(host, own) && !explicitRule(host, rules.allowHosts);
}

/**
 * Whether a probe may connect to `address`, one of the addresses a pinned name resolved to: undefined
 * when it may (the container's own, or in a network `probes.allow_hosts` lists, and never healer's
 * listener, the Engine API or link-local), else why not.
 */
export function refuseResolved(address: string, port: number, rules: ProbeRules, own: OwnAddresses): string | undefined {
  const forbidden = forbiddenTarget(address, port, rules, own);
  if (forbidden !== undefined) return forbidden;
  return isOwn(address, own) || allowedByNet(address, rules.allowHosts) ? undefined : `${address} is not one of the container's own addresses`;
}

/** What a label author can do about a refused host: the empty host, or the watchdog.yml key. */
export function confinedHint(kind: string, port: number, host: string): string {
  return `a label's probe goes only to its own container; use the empty host, as in ${kind}://:${port}, or add ${host} to probes.allow_hosts in watchdog.yml to allow it`;
}

/** A method other than GET/HEAD changes things on the target: only where watchdog.yml allows it. */
export function refuseMethod(method: string, rules: ProbeRules): string | undefined {
  if (rules.allowMethods.includes(method)) return undefined;
  return `method ${method} is not allowed for labels (add it to probes.allow_methods in watchdog.yml; allowed: ${rules.allowMethods.join(', ')})`;
}

/**
 * Whether `host:port` is on the list no label may reach unless watchdog.yml names that exact host:
 * link-local addresses, the Engine API, healer's own listener (also through a host port its container
 * publishes, unless `host` is one of a bridge or overlay container's own IPs in `own`: that is the
 * container's port, not the host's). Also judged at each probe, on the address a probe actually goes
 * to (watchdog/probe-route.ts).
 */
export function forbiddenTarget(host: string, port: number, rules: ProbeRules, own?: OwnAddresses): string | undefined {
  const family = familyOf(host);
  if (family && LINK_LOCAL.check(host, family)) return `${host} is a link-local address (cloud metadata lives there)`;
  if (DOCKER_PORTS.has(port)) return `port ${port} is the Docker Engine API's`;
  if (rules.dockerApi && port === rules.dockerApi.port && (sameHost(host, rules.dockerApi.host) || isLoopback(host))) {
    return `${host}:${port} is the Docker Engine API healer uses (docker.host)`;
  }
  const l = rules.listen;
  const listener = (): boolean => isLoopback(host) || sameHost(host, l === false ? '' : l.host) || (rules.listenerAddresses ?? []).some((a) => sameHost(host, a));
  if (l !== false && port === l.port && listener()) return `${host}:${port} is healer's own listener (server.listen)`;
  const bound = publishedListenerAt(host, port, rules.publishedListener ?? []);
  const containerIp = own !== undefined && !own.loopback && own.ips.some((ip) => sameHost(host, ip));
  if (bound && !containerIp) return `${host}:${port} is healer's own listener through the port healer's container publishes (${describeBinding(bound)})`;
  return undefined;
}

/** The own addresses of where an empty probe host led (docker/address.ts): loopback (the host network), else that container's IP. */
export function ownAt(address: string): OwnAddresses {
  return isLoopback(address) ? { loopback: true, ips: [] } : { loopback: false, ips: [address] };
}

/**
 * A label's host that is the container's own loopback (host network), not listed in watchdog.yml: the
 * container's own only from the host's network namespace, so healer must be there to probe it.
 */
export function ownLoopback(spec: ProbeSpec, rules: ProbeRules, own: OwnAddresses): boolean {
  if (spec.kind !== 'http' && spec.kind !== 'tcp') return false;
  const host = spec.host.toLowerCase();
  return own.loopback && isLoopback(host) && !explicitRule(host, rules.allowHosts) && !allowedByNet(host, rules.allowHosts);
}

function isOwn(host: string, own: OwnAddresses): boolean {
  if (own.loopback && isLoopback(host)) return true;
  return own.ips.includes(host);
}

let interfaces: { readonly at: number; readonly addresses: readonly string[] } | undefined;

/**
 * Every address of healer's own network namespace (its container's, or the host's). Read again at most
 * every 10 s: the rules are built for each container discovery looks at, and the addresses rarely change.
 */
function localAddresses(): readonly string[] {
  const now = performance.now(); // monotonic: a wall-clock step back would keep a stale list for the step
  if (!interfaces || now - interfaces.at > 10_000) {
    interfaces = { at: now, addresses: Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address)) };
  }
  return interfaces.addresses;
}
