import { describe, expect, it } from 'vitest';
import { optIn, policyFromLabels } from '../../src/config/labels.ts';

const build = (labels: Record<string, string>, rawDefaults: Record<string, unknown> = {}, imageHasHealthcheck = false) =>
  policyFromLabels({ labels, prefix: 'healer', containerName: 'api', rawDefaults, imageHasHealthcheck });

describe('optIn', () => {
  it.each([
    [{ 'healer.enable': 'true' }, 'labelled', true],
    [{ 'healer.enable': 'YES' }, 'labelled', true],
    [{ 'healer.enable': 'On' }, 'labelled', true],
    [{ 'healer.enable': '1' }, 'labelled', true],
    [{ 'healer.enable': 'false' }, 'labelled', false],
    [{}, 'labelled', false],
    [{}, 'all', true],
    [{ 'healer.enable': 'off' }, 'all', false],
    [{ 'healer.enable': '0' }, 'all', false],
  ] as const)('%j with watch=%s → %s', (labels, watch, enabled) => {
    expect(optIn(labels, 'healer', watch, 'api')).toEqual({ enabled });
  });

  it('reports a value that is not a boolean, naming container, label and value', () => {
    expect(optIn({ 'healer.enable': 'maybe' }, 'healer', 'labelled', 'api')).toEqual({
      enabled: false,
      error: 'label healer.enable on container "api": "maybe" is not a boolean (use true or false)',
    });
  });

  it('honours another label prefix', () => {
    expect(optIn({ 'heal.enable': 'true', 'healer.enable': 'false' }, 'heal', 'labelled', 'api')).toEqual({ enabled: true });
  });
});

describe('policyFromLabels', () => {
  it('applies built-in defaults when only the probe is given', () => {
    const r = build({ 'healer.liveness': 'http://:8080/healthz' });
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.policy.liveness).toMatchObject({
      spec: { kind: 'http', port: 8080, path: '/healthz', host: '' },
      intervalMs: 10_000,
      timeoutMs: 2000,
      failures: 3,
      successes: 1,
      startPeriodMs: 0,
      status: [[200, 399]],
      method: 'GET',
      headers: {},
    });
    expect(r.policy.readiness).toBeUndefined();
    expect(r.policy.action).toBe('restart');
    expect(r.policy.restartTimeoutMs).toBe(10_000);
    expect(Object.isFrozen(r.policy.liveness)).toBe(true);
  });

  it('lets labels override file defaults, which override built-ins', () => {
    const r = build(
      {
        'healer.liveness': 'tcp://:5432',
        'healer.liveness.failures': '5',
        'healer.liveness.header.X-Token': 'abc',
        'healer.readiness': 'exec:pg_isready -q',
        'healer.readiness.schedule': '*/15 * * * * *',
        'healer.action': 'notify',
        'healer.restart.timeout': '30s',
        'healer.restart.on_exit': 'yes',
      },
      { liveness: { interval: '5s', failures: 2 }, restart: { timeout: '20s' } },
    );
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.policy.liveness).toMatchObject({ spec: { kind: 'tcp', port: 5432 }, intervalMs: 5000, failures: 5, headers: { 'X-Token': 'abc' } });
    expect(r.policy.readiness).toMatchObject({ spec: { kind: 'exec', argv: ['pg_isready', '-q'] }, schedule: '*/15 * * * * *' });
    expect(r.policy.action).toBe('notify');
    expect(r.policy.restartTimeoutMs).toBe(30_000);
    expect(r.policy.restartOnExit).toBe(true);
  });

  it('uses docker health when the image has a HEALTHCHECK and no probe is set', () => {
    const r = build({}, {}, true);
    expect(r.ok && r.policy.liveness?.spec).toEqual({ kind: 'docker' });
    const none = build({}, {}, false);
    expect(none.ok && none.policy.liveness).toBeUndefined();
    const explicit = build({ 'healer.liveness': 'tcp://:1' }, {}, true);
    expect(explicit.ok && explicit.policy.liveness?.spec.kind).toBe('tcp');
  });

  it.each([
    [{ 'healer.liveness.interval': '10 sec' }, 'label healer.liveness.interval on container "api": "10 sec" is not a duration (try 10s)'],
    [{ 'healer.liveness.failures': 'three' }, 'label healer.liveness.failures on container "api": "three" is not a whole number of at least 1'],
    [{ 'healer.liveness.failures': '0' }, 'label healer.liveness.failures on container "api": "0" is not a whole number of at least 1'],
    [{ 'healer.liveness': 'ftp://:21' }, 'label healer.liveness on container "api": "ftp://:21" is not a probe'],
    [{ 'healer.liveness.schedule': '* * * * *' }, 'label healer.liveness.schedule on container "api": "* * * * *" is not a cron schedule with seconds'],
    [{ 'healer.liveness.schedule': '99 * * * * *' }, 'label healer.liveness.schedule on container "api": "99 * * * * *" is not a cron schedule'],
    [{ 'healer.liveness.status': '2xx' }, 'label healer.liveness.status on container "api": "2xx" is not a status list'],
    [{ 'healer.liveness.body': '(' }, 'label healer.liveness.body on container "api": "(" is not a regular expression'],
    [{ 'healer.liveness.method': 'FETCH' }, 'label healer.liveness.method on container "api": "FETCH" is not an HTTP method'],
    [{ 'healer.action': 'reboot' }, 'label healer.action on container "api": "reboot" is not an action (one of restart, stop, notify)'],
    [{ 'healer.restart.on_exit': 'sometimes' }, 'label healer.restart.on_exit on container "api": "sometimes" is not a boolean'],
    [{ 'healer.livenes': 'http://:80/' }, 'label healer.livenes on container "api": unknown label'],
    [{ 'healer.liveness.intervall': '5s' }, 'label healer.liveness.intervall on container "api": unknown label'],
  ])('%j → %s', (labels, message) => {
    const r = build({ 'healer.liveness': 'http://:80/', ...labels });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.some((e) => e.startsWith(message))).toBe(true);
  });

  it('reports every bad label at once', () => {
    const r = build({ 'healer.liveness.interval': 'x', 'healer.liveness.timeout': 'y' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toHaveLength(2);
  });

  it('ignores labels of other prefixes', () => {
    const r = build({ 'com.docker.compose.service': 'api', 'healerx.foo': 'bar', 'healer.enable': 'true' });
    expect(r.ok).toBe(true);
  });
});

describe('healer.alert', () => {
  const withChannels = (labels: Record<string, string>) =>
    policyFromLabels({ labels, prefix: 'healer', containerName: 'api', rawDefaults: {}, imageHasHealthcheck: false, channels: ['ops', 'slack'] });
  it.each([
    [{}, undefined],
    [{ 'healer.alert': 'ops' }, ['ops']],
    [{ 'healer.alert': 'ops, slack' }, ['ops', 'slack']],
    [{ 'healer.alert': 'none' }, []],
  ])('%j → %j', (labels, alert) => {
    const r = withChannels(labels);
    expect(r.ok && r.policy.alert).toEqual(alert);
  });
  it('names an unknown channel and the ones that exist', () => {
    const r = withChannels({ 'healer.alert': 'ops,pagerduty' });
    expect(r.ok ? [] : r.errors).toEqual(['label healer.alert on container "api": unknown channel "pagerduty" (channels: ops, slack)']);
  });
});

// Issue 13: `healer.liveness.interval=0s` stopped healer for every container (a histogram observed NaN).
describe('duration bounds', () => {
  const probe = { 'healer.liveness': 'http://:8080/healthz' };
  it.each([
    ['healer.liveness.interval', '0s', 'label healer.liveness.interval on container "api": "0s" is shorter than the minimum of 100ms'],
    ['healer.liveness.interval', '50ms', 'label healer.liveness.interval on container "api": "50ms" is shorter than the minimum of 100ms'],
    ['healer.liveness.interval', '30d', 'label healer.liveness.interval on container "api": "30d" is not a duration (try 10s)'],
    ['healer.liveness.interval', '600h', 'label healer.liveness.interval on container "api": "600h" is longer than the maximum of 596h31m23s647ms (Node\'s timer limit)'],
    ['healer.backoff.max', '1000h', 'label healer.backoff.max on container "api": "1000h" is longer than the maximum of 596h31m23s647ms (Node\'s timer limit)'],
    ['healer.restart.timeout', '900h', 'label healer.restart.timeout on container "api": "900h" is longer than the maximum of 596h31m23s647ms (Node\'s timer limit)'],
  ])('%s=%s is refused, naming the bound', (label, value, error) => {
    const r = build({ ...probe, [label]: value });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toEqual([error]);
  });

  it('refuses an explicit timeout longer than the interval, naming both', () => {
    const r = build({ ...probe, 'healer.liveness.interval': '1s', 'healer.liveness.timeout': '5s' });
    expect(r.ok ? [] : r.errors).toEqual(['label healer.liveness.timeout on container "api": 5s is longer than the interval (1s); a probe\'s timeout must fit in its interval']);
  });

  it('cuts a default timeout to a shorter interval instead of refusing the label', () => {
    const r = build({ ...probe, 'healer.liveness.interval': '500ms' });
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.policy.liveness).toMatchObject({ intervalMs: 500, timeoutMs: 500 });
  });
});
