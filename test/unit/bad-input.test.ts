import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.ts';
import { policyFromLabels } from '../../src/config/labels.ts';
import { loadConfig } from '../../src/config/load.ts';
import { formatHostRule, parseHostRule, refuseProbe } from '../../src/config/confine.ts';
import { parseProbeSpec, redactProbeSpec } from '../../src/config/probe-spec.ts';
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
    ['an allow_hosts entry that is a URL', 'probes:\n  allow_hosts:\n    - db\n    - "http://db:80"\n', ['watchdog.yml:4: probes.allow_hosts[1]: "http://db:80" is not a host name, IP address or CIDR (try db, 10.0.0.5 or 10.0.0.0/24)']],
    ['an allow_hosts CIDR too wide', 'probes:\n  allow_hosts: [10.0.0.0/40]\n', ['watchdog.yml:2: probes.allow_hosts[0]: "10.0.0.0/40" is not a host name, IP address or CIDR (try db, 10.0.0.5 or 10.0.0.0/24)']],
    ['allow_hosts as a string', 'probes:\n  allow_hosts: db\n', ['watchdog.yml:2: probes.allow_hosts: Invalid input: expected array, received string']],
    ['an unknown method', 'probes:\n  allow_methods: [GET, FETCH]\n', ['watchdog.yml:2: probes.allow_methods[1]: "FETCH" is not an HTTP method (one of GET, HEAD, POST, PUT, OPTIONS, PATCH, DELETE)']],
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
const hostish = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.domain(),
  fc.tuple(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: -1, max: 140 })).map(([ip, bits]) => `${ip}/${bits}`),
  fc.constantFrom('169.254.169.254', '169.254.0.0/16', '0.0.0.0/0', '::/0', 'fe80::/10', '[::1]', 'localhost', 'db_1', '', '/', '1.2.3.4/'),
);
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
        .record({ section: fc.constantFrom('docker', 'discovery', 'defaults', 'guards', 'alerts', 'server', 'state', 'log', 'dry_run', 'probes', 'x'), key: fc.string(), value: anyText })
        .map(({ section, key, value }) => `${section}:\n  ${key}: ${JSON.stringify(value)}\n`),
      fc
        .record({ key: fc.constantFrom('allow_hosts', 'allow_methods', 'allow_exec'), values: fc.array(fc.oneof(anyText, hostish), { maxLength: 4 }) })
        .map(({ key, values }) => `probes:\n  ${key}: ${JSON.stringify(values)}\n`),
    );
    fc.assert(
      fc.property(yamlish, (yaml) => {
        const r = configErrors(yaml);
        if (r !== 'ok') for (const e of r) expect(clearConfigError(e), e).toBe(true);
      }),
      { numRuns: runs(400) },
    );
  });

  it('allow-list entries: a rule that reads back the same, or the one clear error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), hostish), (text) => {
        const r = parseHostRule(text);
        if (!r.ok) {
          expect(r.error).toBe(`${JSON.stringify(text)} is not a host name, IP address or CIDR (try db, 10.0.0.5 or 10.0.0.0/24)`);
          return;
        }
        const again = parseHostRule(formatHostRule(r.rule));
        expect(again).toEqual(r);
      }),
      { numRuns: runs(2000) },
    );
  });

  it('confinement: link-local is never reached through a wider allow-list, whatever the list', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(fc.array(hostish, { maxLength: 5 }), octet, octet, fc.integer({ min: 1, max: 65535 }), (entries, a, b, port) => {
        const allowHosts = entries.flatMap((e) => {
          const r = parseHostRule(e);
          return r.ok ? [r.rule] : [];
        });
        const host = `169.254.${a}.${b}`;
        const explicit = allowHosts.some((r) => r.kind === 'net' && r.prefix === 32 && r.address === host);
        const parsed = parseProbeSpec(`http://${host}:${port}/`);
        if (!parsed.ok) throw new Error(parsed.error);
        const refused = refuseProbe(parsed.spec, { allowHosts, allowMethods: ['GET'], allowExec: true, dockerApi: undefined, listen: false, maxRestartTimeoutMs: 300_000 }, { loopback: true, ips: [] });
        expect(refused === undefined).toBe(explicit);
      }),
      { numRuns: runs(1000) },
    );
  });

  it('redaction: a secret planted in a query value, userinfo or exec argument never shows', () => {
    const secret = fc.stringMatching(/^[A-Za-z0-9]{12,20}$/).map((s) => `S3CRET${s}`);
    fc.assert(
      fc.property(secret, fc.constantFrom('query', 'userinfo', 'exec', 'fragment'), fc.string(), (s, where, noise) => {
        const text =
          where === 'query' ? `http://:8080/h?a=1&token=${s}` : where === 'userinfo' ? `https://admin:${s}@db:8443/` : where === 'fragment' ? `http://:80/#${s}` : `exec:mysqladmin -p${s} ${noise.replace(/['"]/g, '')}`;
        const parsed = parseProbeSpec(text);
        if (parsed.ok) expect(redactProbeSpec(parsed.spec)).not.toContain(s);
        const broken = parseProbeSpec(`${text} "`);
        if (!broken.ok) expect(broken.error).not.toContain(s);
        const errs = labelErrors({ 'healer.liveness': `${text}\t!` });
        if (errs !== 'ok') for (const e of errs) expect(e).not.toContain(s);
      }),
      { numRuns: runs(1000) },
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
