import { pinsName, refuseMethod, refuseProbe, type OwnAddresses, type ProbeRules } from './confine.ts';
import { formatDuration } from './duration.ts';
import { parseBool } from './fields.ts';
import { redactProbeSpec } from './probe-spec.ts';
import { deepFreeze, FORBIDDEN_NAMES, mergeDeep, setPath } from './objects.ts';
import { toPolicy, type Policy, type ProbePolicy } from './policy.ts';
import { policySchema } from './schema.ts';

export type OptIn = { enabled: boolean; error?: undefined } | { enabled: false; error: string };

/**
 * Whether healer watches a container: opt-in by `<prefix>.enable=true`, or with `discovery.watch: all`
 * everything but `<prefix>.enable=false`. A value that is not a boolean is an error for that container.
 */
export function optIn(
  labels: Readonly<Record<string, string>>,
  prefix: string,
  watch: 'labelled' | 'all',
  containerName: string,
): OptIn {
  const key = `${prefix}.enable`;
  const value = labels[key];
  if (value === undefined) return { enabled: watch === 'all' };
  const b = parseBool(value);
  if (b === undefined) {
    return {
      enabled: false,
      error: `label ${key} on container "${containerName}": ${JSON.stringify(value)} is not a boolean (use true or false)`,
    };
  }
  return { enabled: b };
}

export type PolicyResult = { ok: true; policy: Policy } | { ok: false; errors: readonly string[] };

/** Label keys healer reads that are not policy fields. */
const NOT_POLICY = new Set(['enable']);

/**
 * Builds a container's effective policy from the file defaults and its labels. Errors name the container,
 * the label and the value, e.g. `label healer.liveness.interval on container "api": "10 sec" is not a
 * duration (try 10s)`; any error disables this container's policy only.
 */
export function policyFromLabels(input: {
  labels: Readonly<Record<string, string>>;
  prefix: string;
  containerName: string;
  rawDefaults: Readonly<Record<string, unknown>>;
  imageHasHealthcheck: boolean;
  /** Names of the alert channels, to check healer.alert against. */
  channels?: readonly string[];
  /**
   * Where this container's label probes may go (config/confine.ts). The watchdog and `healer check`
   * always pass it; parsing tests without a container leave it out.
   */
  confine?: { readonly rules: ProbeRules; readonly own: OwnAddresses } | undefined;
}): PolicyResult {
  const { labels, prefix, containerName } = input;
  const fromLabels: Record<string, unknown> = {};
  const labelOf = new Map<string, string>();
  const errors: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    if (!key.startsWith(`${prefix}.`)) continue;
    const rest = key.slice(prefix.length + 1);
    if (NOT_POLICY.has(rest)) continue;
    const path = labelPath(rest);
    const set = setPath(fromLabels, path, value);
    if (set === 'ok') labelOf.set(path.join('\u0000'), key);
    else if (set === 'forbidden') errors.push(`label ${key} on container "${containerName}": unknown label (${FORBIDDEN_NAMES} are refused in label names)`);
    else errors.push(`label ${key} on container "${containerName}": conflicts with another ${prefix}.* label`);
  }
  const merged = mergeDeep(input.rawDefaults, fromLabels);
  const parsed = policySchema.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const keys = issue.path.map(String);
      if (issue.code === 'unrecognized_keys') {
        for (const k of issue.keys) {
          const label = labelOf.get([...keys, k].join('\u0000')) ?? `${prefix}.${[...keys, k].join('.')}`;
          errors.push(`label ${label} on container "${containerName}": unknown label`);
        }
        continue;
      }
      const label = labelOf.get(keys.join('\u0000'));
      // A label that goes deeper than the option it extends (healer.liveness.interval.x): name that label.
      const deeper = label === undefined ? [...labelOf].find(([path]) => path.startsWith(`${keys.join('\u0000')}\u0000`))?.[1] : undefined;
      if (deeper !== undefined) {
        errors.push(`label ${deeper} on container "${containerName}": unknown label (${prefix}.${keys.join('.')} takes a value, not sub-keys)`);
        continue;
      }
      errors.push(
        label !== undefined
          ? `label ${label} on container "${containerName}": ${issue.message}`
          : `container "${containerName}": ${keys.join('.')}: ${issue.message}`,
      );
    }
  }
  if (parsed.success && parsed.data.alert) {
    const known = input.channels ?? [];
    const unknown = parsed.data.alert.filter((n) => n !== 'none' && !known.includes(n));
    if (unknown.length > 0) {
      const label = labelOf.get('alert') ?? 'defaults.alert';
      const where = label === 'defaults.alert' ? `watchdog.yml ${label}` : `label ${label} on container "${containerName}"`;
      errors.push(`${where}: unknown channel ${unknown.map((n) => `"${n}"`).join(', ')} (channels: ${known.length > 0 ? known.join(', ') : 'none configured'})`);
    }
  }
  if (parsed.success) {
    for (const role of ['liveness', 'readiness'] as const) {
      const o = parsed.data[role];
      const label = labelOf.get(`${role}\u0000timeout`);
      if (label !== undefined && o.schedule === undefined && o.timeout > o.interval) {
        errors.push(`label ${label} on container "${containerName}": ${formatDuration(o.timeout)} is longer than the interval (${formatDuration(o.interval)}); a probe's timeout must fit in its interval`);
      }
    }
  }
  if (parsed.success && input.confine) {
    // Only what a label set is confined: probes and methods from watchdog.yml defaults are trusted.
    const { rules, own } = input.confine;
    const timeoutLabel = labelOf.get('restart\u0000timeout');
    if (timeoutLabel !== undefined && parsed.data.restart.timeout > rules.maxRestartTimeoutMs) {
      errors.push(
        `label ${timeoutLabel} on container "${containerName}": ${formatDuration(parsed.data.restart.timeout)} is longer than a label may set (${formatDuration(rules.maxRestartTimeoutMs)}: a restart holds a restart slot that long; raise guards.max_label_restart_timeout in watchdog.yml to allow it)`,
      );
    }
    for (const role of ['liveness', 'readiness'] as const) {
      const probeLabel = labelOf.get(`${role}\u0000probe`);
      const spec = parsed.data[role].probe;
      const refused = probeLabel !== undefined && spec !== undefined ? refuseProbe(spec, rules, own) : undefined;
      if (probeLabel !== undefined && spec !== undefined && refused !== undefined) {
        errors.push(`label ${probeLabel} on container "${containerName}": "${redactProbeSpec(spec)}" refused: ${refused}`);
      }
      const methodLabel = labelOf.get(`${role}\u0000method`);
      const method = methodLabel !== undefined ? refuseMethod(parsed.data[role].method, rules) : undefined;
      if (methodLabel !== undefined && method !== undefined) errors.push(`label ${methodLabel} on container "${containerName}": ${method}`);
    }
  }
  if (errors.length > 0 || !parsed.success) return { ok: false, errors };
  const policy = toPolicy(parsed.data, input.imageHasHealthcheck);
  const pinned = (role: 'liveness' | 'readiness'): ProbePolicy | undefined => {
    const p = policy[role];
    const confine = input.confine;
    // Only a host a label set is judged at probe time; one from watchdog.yml's defaults is trusted.
    const fromLabel = labelOf.get(`${role}\u0000probe`) !== undefined;
    if (!p || !confine || !fromLabel || (p.spec.kind !== 'http' && p.spec.kind !== 'tcp')) return p;
    return { ...p, confined: true, ...(pinsName(p.spec, confine.rules, confine.own) ? { pinOwn: true } : {}) };
  };
  return { ok: true, policy: deepFreeze({ ...policy, liveness: pinned('liveness'), readiness: pinned('readiness') }) };
}

/** `liveness` → liveness.probe; `liveness.header.X-Api` → liveness.header["X-Api"]; others split on dots. */
function labelPath(rest: string): string[] {
  const parts = rest.split('.');
  const [head, second] = parts;
  if ((head === 'liveness' || head === 'readiness') && head !== undefined) {
    if (parts.length === 1) return [head, 'probe'];
    if (second === 'header' && parts.length > 2) return [head, 'header', parts.slice(2).join('.')];
  }
  return parts;
}
