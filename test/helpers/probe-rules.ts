import { parseHostRule, type HostRule, type ProbeRules } from '../../src/config/confine.ts';
import { parseProbeSpec, type ProbeSpec } from '../../src/config/probe-spec.ts';

/** watchdog.yml's probe rules as config/confine.ts takes them: the defaults, listening on :9299, with `over`. */
export const probeRules = (over: Partial<ProbeRules> = {}): ProbeRules => ({
  allowHosts: [],
  allowMethods: ['GET', 'HEAD'],
  allowExec: true,
  dockerApi: undefined,
  listen: { host: '0.0.0.0', port: 9299 },
  maxRestartTimeoutMs: 300_000,
  ...over,
});

/** `probes.allow_hosts` entries, parsed (a bad one throws). */
export const hostRules = (...entries: string[]): HostRule[] =>
  entries.map((e) => {
    const r = parseHostRule(e);
    if (!r.ok) throw new Error(r.error);
    return r.rule;
  });

/** A probe spec as a label writes it, parsed (a bad one throws). */
export const probeSpec = (text: string): ProbeSpec => {
  const r = parseProbeSpec(text);
  if (!r.ok) throw new Error(r.error);
  return r.spec;
};
