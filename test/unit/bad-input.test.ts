import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.ts';
import { policyFromLabels } from '../../src/config/labels.ts';
import { loadConfig } from '../../src/config/load.ts';
import { parseProbeSpec } from '../../src/config/probe-spec.ts';
import { parseEvent } from '../../src/docker/engine.ts';

// Bad input, and exactly what users are told about it. Then property-based fuzzing: whatever the
// input, the parsers answer with a result or a clear validation error, never with anything else.

const dir = mkdtempSync(`${tmpdir()}/healer-bad-`);
let n = 0;
function configErrors(yaml: string | undefined, env: NodeJS.ProcessEnv = {}): readonly string[] | 'ok' {
  const path = yaml === undefined ? undefined : `${dir}/w${n++}.yml`;
  if (path !== undefined && yaml !== undefined) writeFileSync(path, yaml);
  try {
    loadConfig(path, env);
    return 'ok';
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => (path ? p.replace(path, 'watchdog.yml') : p));
    throw err;
  }
}

function labelErrors(labels: Record<string, string>): readonly string[] | 'ok' {
  const r = policyFromLabels({ labels, prefix: 'healer', containerName: 'api', rawDefaults: {}, imageHasHealthcheck: false, channels: ['ops'] });
  return r.ok ? 'ok' : r.errors;
}

describe('bad input: the exact error users see', () => {
  it.each<[string, Record<string, string>, string[]]>([
    ['empty probe', { 'healer.liveness': '' }, ['label healer.liveness on container "api": "" is not a probe (try http://:8080/healthz, tcp://:5432, exec:pg_isready -q or docker)']],
    ['negative duration', { 'healer.liveness': 'tcp://:1', 'healer.liveness.timeout': '-1s' }, ['label healer.liveness.timeout on container "api": "-1s" is not a duration (try 10s)']],
    ['decimal count', { 'healer.liveness': 'tcp://:1', 'healer.liveness.failures': '2.5' }, ['label healer.liveness.failures on container "api": "2.5" is not a whole number of at least 1']],
    ['port out of range', { 'healer.liveness': 'tcp://:70000' }, ['label healer.liveness on container "api": "tcp://:70000" has port 70000, outside 1-65535']],
    ['unknown channel', { 'healer.alert': 'pager' }, ['label healer.alert on container "api": unknown channel "pager" (channels: ops)']],
    ['label on a parent and a child key', { 'healer.liveness': 'tcp://:1', 'healer.liveness.interval.x': '1s' }, ['label healer.liveness.interval.x on container "api": unknown label (healer.liveness.interval takes a value, not sub-keys)']],
  ])('label: %s', (_what, labels, expected) => {
    expect(labelErrors(labels)).toEqual(expected);
  });

  it.each<[string, string, string[]]>([
    ['a list at the top', '- a\n- b\n', ['watchdog.yml:1: the config must be a mapping of keys (docker, discovery, defaults, ...)']],
    ['a tab-indented key', 'log:\n\tlevel: info\n', ['watchdog.yml:2: YAML syntax: Tabs are not allowed as indentation']],
    ['a string where a section goes', 'guards: lots\n', ['watchdog.yml:1: guards: Invalid input: expected object, received string']],
    ['an unknown section', 'alerting:\n  channels: []\n', ['watchdog.yml:1: unknown key alerting']],
    ['a fraction above 1', 'guards:\n  mass_failure:\n    fraction: 1.5\n', ['watchdog.yml:3: guards.mass_failure.fraction: 1.5 is not a fraction in (0, 1]']],
    ['a channel without a url', 'alerts:\n  channels:\n    - name: ops\n      type: slack\n', ['watchdog.yml:3: alerts.channels[0]: needs exactly one of url and url_file']],
    ['a duplicate channel name', 'alerts:\n  channels:\n    - { name: ops, type: slack, url: "https://example.invalid/a" }\n    - { name: ops, type: discord, url: "https://example.invalid/b" }\n', ['watchdog.yml:4: alerts.channels[1].name: "ops" is used by an earlier channel']],
    ['an alias without an anchor', '*x\n', ['watchdog.yml:1: YAML: Unresolved alias (the anchor must be set before the alias): x']],
    ['an alias bomb', `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`, ['watchdog.yml:1: YAML: Excessive alias count indicates a resource exhaustion attack']],
    ['a bad listen address', 'server:\n  listen: "http://0.0.0.0:9299"\n', ['watchdog.yml:2: server.listen: "http://0.0.0.0:9299" is not a listen address (try :9299, 127.0.0.1:9299 or off)']],
  ])('watchdog.yml: %s', (_what, yaml, expected) => {
    expect(configErrors(yaml)).toEqual(expected);
  });

  it.each<[string, string, string]>([
    ['HEALER_LOG_FORMAT', 'xml', 'environment HEALER_LOG_FORMAT: "xml" is not a log format (one of json, pretty)'],
    ['HEALER_DISCOVERY_WATCH', 'everything', 'environment HEALER_DISCOVERY_WATCH: "everything" is not a watch mode (one of labelled, all)'],
    ['HEALER_LABEL_PREFIX', 'Healer!', 'environment HEALER_LABEL_PREFIX: must be lower-case letters, digits, dots, dashes or underscores'],
    ['HEALER_MAX_CONCURRENT_RESTARTS', '-3', 'environment HEALER_MAX_CONCURRENT_RESTARTS: "-3" is not a whole number of at least 1'],
    ['DOCKER_TLS_VERIFY', 'maybe', 'environment DOCKER_TLS_VERIFY: "maybe" is not a boolean (use true or false)'],
    ['HEALER_SERVER_LISTEN', ':99999', 'environment HEALER_SERVER_LISTEN: ":99999" is not a listen address (try :9299, 127.0.0.1:9299 or off)'],
    ['HEALER_ALERT_SLACK_URL_FILE', '/run/secrets/slack', 'environment HEALER_ALERT_SLACK_URL_FILE: no alert channel in watchdog.yml is called SLACK (there are none)'],
  ])('environment %s=%s', (name, value, expected) => {
    expect(configErrors(undefined, { [name]: value })).toEqual([expected]);
  });

  it.each([
    ['truncated JSON', '{"Type":"container","Action":"die","Actor":{"ID":"ab'],
    ['a JSON string', '"die"'],
    ['no actor id', JSON.stringify({ Type: 'container', Action: 'die', Actor: {} })],
    ['a numeric action', JSON.stringify({ Type: 'container', Action: 7, Actor: { ID: 'abc' } })],
    ['an image event', JSON.stringify({ Type: 'image', Action: 'pull', Actor: { ID: 'sha256:1' } })],
  ])('event payload: %s is ignored (logged by the event stream), never acted on', (_what, line) => {
    expect(parseEvent(line)).toBeUndefined();
  });

  it('event payload: odd attribute values are dropped, not trusted', () => {
    const ev = parseEvent(JSON.stringify({ Type: 'container', Action: 'die', Actor: { ID: 'abc', Attributes: { exitCode: 'NaN', name: 5, 'healer.enable': 'true' } }, time: 'soon' }));
    expect(ev).toEqual({ id: 'abc', name: '', action: 'die', health: undefined, exitCode: undefined, labels: { 'healer.enable': 'true' }, time: 0 });
  });
});

/** Every problem is a sentence naming where: a label on a container, or a file line, or a variable. */
const clearLabelError = (e: string): boolean => /^(label healer\..* on container "api": |container "api": )\S/.test(e);
const clearConfigError = (e: string): boolean => /^(watchdog\.yml:\d+: |environment [A-Z_]+: )\S/.test(e);

const LABEL_KEYS = [
  'healer.enable', 'healer.liveness', 'healer.liveness.interval', 'healer.liveness.timeout', 'healer.liveness.failures',
  'healer.liveness.successes', 'healer.liveness.schedule', 'healer.liveness.status', 'healer.liveness.body', 'healer.liveness.method',
  'healer.liveness.header.X-Token', 'healer.readiness', 'healer.action', 'healer.restart.timeout', 'healer.restart.on_exit',
  'healer.backoff.initial', 'healer.backoff.max', 'healer.crashloop.restarts', 'healer.crashloop.action', 'healer.depends_on',
  'healer.alert', 'healer.network', 'healer.livenessx', 'healer.liveness.interval.deep',
];
const anyText = fc.oneof(fc.string(), fc.constantFrom('', ' ', '0', '-1', '10s', '1h30m', 'true', 'http://:80/', 'exec:', 'tcp://:0', '* * * * * *', '(', '\u0000', '💥'));

// A fixed seed keeps CI deterministic; FUZZ_SEED=<n> (and FUZZ_RUNS=<factor>) explore further.
fc.configureGlobal({ seed: Number(process.env.FUZZ_SEED ?? 20261122), numRuns: 100 });
const runs = (n: number): number => n * Number(process.env.FUZZ_RUNS ?? 1);

describe('fuzz: parsers answer with a result or a clear error, never anything else', () => {
  it('container labels', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.oneof(fc.constantFrom(...LABEL_KEYS), fc.string().map((s) => `healer.${s}`)), anyText, { maxKeys: 8 }), (labels) => {
        const r = labelErrors(labels);
        if (r !== 'ok') for (const e of r) expect(clearLabelError(e) && !e.includes('Invalid input'), e).toBe(true);
      }),
      { numRuns: runs(1500) },
    );
  });

  it('probe specs', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.constantFrom('http://', 'https://[::1', 'tcp://:', 'exec:"unterminated', 'http://:80/%zz')), (text) => {
        const r = parseProbeSpec(text);
        if (!r.ok) expect(r.error.length).toBeGreaterThan(0);
      }),
      { numRuns: runs(1500) },
    );
  });

  it('watchdog.yml text', () => {
    const yamlish = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .record({ section: fc.constantFrom('docker', 'discovery', 'defaults', 'guards', 'alerts', 'server', 'state', 'log', 'dry_run', 'x'), key: fc.string(), value: anyText })
        .map(({ section, key, value }) => `${section}:\n  ${key}: ${JSON.stringify(value)}\n`),
    );
    fc.assert(
      fc.property(yamlish, (yaml) => {
        const r = configErrors(yaml);
        if (r !== 'ok') for (const e of r) expect(clearConfigError(e), e).toBe(true);
      }),
      { numRuns: runs(400) },
    );
  });

  it('environment values', () => {
    const names = ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'HEALER_LABEL_PREFIX', 'HEALER_DISCOVERY_WATCH', 'HEALER_DRY_RUN', 'HEALER_LOG_LEVEL', 'HEALER_LOG_FORMAT', 'HEALER_MAX_CONCURRENT_RESTARTS', 'HEALER_STATE_PATH', 'HEALER_SERVER_LISTEN', 'HEALER_SERVER_TOKEN_FILE', 'HEALER_ALERT_OPS_URL_FILE', 'HEALER_ALERT_OPS_SECRET_FILE'];
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...names), anyText, { maxKeys: 4 }), (env) => {
        const r = configErrors(undefined, env);
        if (r !== 'ok') for (const e of r) expect(e).toMatch(/^environment [A-Z_]+: \S/);
      }),
      { numRuns: runs(1000) },
    );
  });

  it('event payloads', () => {
    const eventish = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.record({ Type: fc.constantFrom('container', 'image', 1), Action: fc.oneof(fc.string(), fc.constantFrom('die', 'health_status: unhealthy', 'exec_start: sh')), Actor: fc.oneof(fc.constant(null), fc.record({ ID: fc.oneof(fc.string(), fc.integer()), Attributes: fc.dictionary(fc.string(), fc.jsonValue()) })), time: fc.oneof(fc.integer(), fc.string()) }).map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(eventish, (line) => {
        const ev = parseEvent(line);
        if (ev) {
          expect(typeof ev.id).toBe('string');
          expect(ev.exitCode === undefined || Number.isFinite(ev.exitCode)).toBe(true);
          for (const v of Object.values(ev.labels)) expect(typeof v).toBe('string');
        }
      }),
      { numRuns: runs(2000) },
    );
  });
});
