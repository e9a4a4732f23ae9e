import type { LoadedConfig } from '../config/load.ts';
import { ownAddresses, probeRules, type ProbeRules } from '../config/confine.ts';
import { optIn, policyFromLabels } from '../config/labels.ts';
import type { Policy, ProbePolicy } from '../config/policy.ts';
import { resolveAddress, type AddressResult, type SelfNetwork } from '../docker/address.ts';
import { isSelf } from '../docker/self.ts';
import type { ContainerInfo } from '../docker/types.ts';

export type Verdict =
  | { readonly kind: 'ignore'; readonly why: 'self' | 'out of scope' | 'not opted in' }
  | { readonly kind: 'watch'; readonly policy: Policy }
  | { readonly kind: 'problem'; readonly errors: readonly string[] };

/**
 * Decides what healer does with one container: ignore it (itself, out of scope, not opted in), watch it
 * with an effective policy, or report its label problems. Shared by the watchdog and `healer check`,
 * each passing the probe rules it built from healer's own container (its published ports).
 */
export function evaluate(
  info: ContainerInfo,
  loaded: LoadedConfig,
  self: { ids: readonly string[]; hostname: string },
  rules: ProbeRules = probeRules(loaded.config),
): Verdict {
  const { config, rawDefaults } = loaded;
  const prefix = config.discovery.label_prefix;
  if (isSelf(info.id, self)) return { kind: 'ignore', why: 'self' };
  if (config.discovery.project !== undefined && info.project !== config.discovery.project) return { kind: 'ignore', why: 'out of scope' };
  if (config.discovery.scope !== undefined && info.labels[`${prefix}.scope`] !== config.discovery.scope) {
    return { kind: 'ignore', why: 'out of scope' };
  }
  const opt = optIn(info.labels, prefix, config.discovery.watch, info.name);
  if (opt.error !== undefined) return { kind: 'problem', errors: [opt.error] };
  if (!opt.enabled) return { kind: 'ignore', why: 'not opted in' };
  const r = policyFromLabels({
    labels: info.labels,
    prefix,
    containerName: info.name,
    rawDefaults,
    imageHasHealthcheck: info.hasHealthcheck,
    channels: loaded.channels.map((c) => c.name),
    confine: { rules, own: ownAddresses(info.networkMode, info.networks) },
  });
  return r.ok ? { kind: 'watch', policy: r.policy } : { kind: 'problem', errors: r.errors };
}

/**
 * Labels every container healer could watch has (`key` or `key=value`; none with `discovery.watch: all`):
 * the filter of the event stream's stall check, so its one list per interval leaves the others out.
 */
export function watchableLabels({ config }: LoadedConfig): string[] {
  const d = config.discovery;
  return [...(d.watch === 'labelled' ? [`${d.label_prefix}.enable`] : []), ...(d.scope !== undefined ? [`${d.label_prefix}.scope=${d.scope}`] : [])];
}

/** Whether a probe needs the container's own address (an http or tcp probe with no host of its own). */
export function needsAddress(p: ProbePolicy): boolean {
  return (p.spec.kind === 'http' || p.spec.kind === 'tcp') && p.spec.host === '';
}

/**
 * The address healer probes a container at, seen from `self`: a `container:X` container through its
 * namespace owner (only while that one runs). Not ok: healer cannot route a probe there, a
 * configuration problem (never a failure). Shared by the watch and `healer check`.
 */
export function probeAddress(info: ContainerInfo, policy: Policy, self: SelfNetwork, ownerOf: (id: string) => ContainerInfo | undefined): AddressResult {
  const mode = info.networkMode;
  const owner = mode.startsWith('container:') ? ownerOf(mode.slice(10)) : undefined;
  return resolveAddress(info, { network: policy.network, self, owner: owner?.running ? owner : undefined });
}

/**
 * The `docker` probes of a container without a HEALTHCHECK (run with `--no-healthcheck`, Healthcheck.Test
 * ["NONE"], or an image with none): the engine never sends its health, so such a probe can never fail
 * and a hung app would never be restarted. Not a label error (its exits are still watched, as without
 * the label): reported as a configuration problem, as an unroutable probe is. Its HEALTHCHECK cannot
 * come back without a new container (a new id, evaluated anew). Shared by the watch and `healer check`.
 */
export function healthcheckProblems(info: Pick<ContainerInfo, 'hasHealthcheck'>, policy: Pick<Policy, 'liveness' | 'readiness'>): string[] {
  if (info.hasHealthcheck) return [];
  return (['liveness', 'readiness'] as const)
    .filter((role) => policy[role]?.spec.kind === 'docker')
    .map((role) => `${role} probe docker cannot report: the container has no HEALTHCHECK (run with --no-healthcheck, or its image has none), so the engine never sends its health and this probe never fails`);
}
