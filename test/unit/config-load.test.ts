import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.ts';
import { loadConfig } from '../../src/config/load.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/config/${name}`, import.meta.url));

function problems(path: string | undefined, env: NodeJS.ProcessEnv = {}): readonly string[] {
  try {
    loadConfig(path, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('uses built-in defaults without a file', () => {
    const { config, path } = loadConfig(undefined, {});
    expect(path).toBeUndefined();
    expect(config.docker.host).toBe('unix:///var/run/docker.sock');
    expect(config.discovery).toEqual({ watch: 'labelled', label_prefix: 'healer' });
    expect(config.guards.max_concurrent_restarts).toBe(2);
    expect(config.dry_run).toBe(false);
    expect(config.log).toEqual({ level: 'info', format: 'json' });
  });

  it('treats an empty file as all defaults', () => {
    expect(loadConfig(fixture('valid-empty.yml'), {}).config.discovery.watch).toBe('labelled');
  });

  it('reads every section of a full file and freezes the result', () => {
    const loaded = loadConfig(fixture('valid-full.yml'), {});
    expect(loaded.config.docker.host).toBe('unix:///run/user/1000/docker.sock');
    expect(loaded.config.discovery).toMatchObject({ watch: 'all', project: 'shop' });
    expect(loaded.config.defaults.liveness).toMatchObject({ interval: 5000, failures: 2 });
    expect(loaded.config.defaults.action).toBe('notify');
    expect(loaded.config.guards.max_concurrent_restarts).toBe(1);
    expect(loaded.config.dry_run).toBe(true);
    expect(loaded.rawDefaults).toEqual({ liveness: { interval: '5s', failures: 2 }, action: 'notify' });
    expect(Object.isFrozen(loaded.config.defaults.liveness)).toBe(true);
  });

  it('loads the example watchdog.yml shipped in the repository', () => {
    const { config } = loadConfig(fileURLToPath(new URL('../../watchdog.yml', import.meta.url)), {});
    expect(config.defaults.restart).toEqual({ timeout: 10_000, on_exit: false });
  });

  it.each([
    ['broken-yaml.yml', /broken-yaml\.yml:6: YAML syntax: Flow sequence in block collection must be sufficiently indented/],
    ['bad-duration.yml', /bad-duration\.yml:6: defaults\.liveness\.interval: "10 sec" is not a duration \(try 10s\)$/],
    ['unknown-key.yml', /unknown-key\.yml:3: unknown key docker\.hots$/],
    ['bad-enum.yml', /bad-enum\.yml:2: log\.level: "loud" is not a log level \(one of trace, debug, info, warn, error, fatal\)$/],
    ['not-a-mapping.yml', /not-a-mapping\.yml:1: the config must be a mapping/],
    ['duplicate-key.yml', /duplicate-key\.yml:3: YAML syntax: Map keys must be unique/],
    ['does-not-exist.yml', /does-not-exist\.yml: cannot read the config file \(ENOENT\)/],
  ])('%s fails with path, line and key', (name, pattern) => {
    const found = problems(fixture(name));
    expect(found.some((p) => pattern.test(p)), found.join('\n')).toBe(true);
  });

  it('reports every problem in a file, not only the first', () => {
    const found = problems(fixture('bad-enum.yml'));
    expect(found).toHaveLength(2);
    expect(found.some((p) => /bad-enum\.yml:4: discovery\.watch: "some" is not a watch mode \(one of labelled, all\)$/.test(p))).toBe(true);
  });

  it('lets the environment override the file', () => {
    const { config } = loadConfig(fixture('valid-full.yml'), {
      DOCKER_HOST: 'tcp://127.0.0.1:2375',
      HEALER_LABEL_PREFIX: 'heal',
      HEALER_DRY_RUN: 'false',
      HEALER_LOG_LEVEL: 'warn',
      HEALER_DISCOVERY_WATCH: 'labelled',
    });
    expect(config.docker.host).toBe('tcp://127.0.0.1:2375');
    expect(config.discovery.label_prefix).toBe('heal');
    expect(config.discovery.watch).toBe('labelled');
    expect(config.dry_run).toBe(false);
    expect(config.log.level).toBe('warn');
  });

  it('names the environment variable when its value is bad', () => {
    expect(problems(undefined, { HEALER_DRY_RUN: 'perhaps' })).toEqual([
      'environment HEALER_DRY_RUN: "perhaps" is not a boolean (use true or false)',
    ]);
    expect(problems(undefined, { HEALER_MAX_CONCURRENT_RESTARTS: '0' })).toEqual([
      'environment HEALER_MAX_CONCURRENT_RESTARTS: "0" is not a whole number of at least 1',
    ]);
  });

  it('derives TLS files from DOCKER_CERT_PATH', () => {
    const { config } = loadConfig(undefined, { DOCKER_CERT_PATH: '/certs', DOCKER_TLS_VERIFY: '1' });
    expect(config.docker.tls).toEqual({ verify: true, ca_file: '/certs/ca.pem', cert_file: '/certs/cert.pem', key_file: '/certs/key.pem' });
  });
});

describe('alert channels', () => {
  const write = (yaml: string, files: Record<string, string> = {}) => {
    const dir = mkdtempSync(`${tmpdir()}/healer-channels-`);
    for (const [name, text] of Object.entries(files)) writeFileSync(`${dir}/${name}`, text);
    writeFileSync(`${dir}/watchdog.yml`, yaml.replaceAll('DIR', dir));
    return `${dir}/watchdog.yml`;
  };

  it('reads URLs and secrets from files, and collects every secret for redaction', () => {
    const path = write(
      'alerts:\n  channels:\n    - name: ops\n      type: webhook\n      url_file: DIR/url\n      secret_file: DIR/key\n      events: [crashloop, restarted]\n',
      { url: 'http://127.0.0.1:9/hook-token-abc\n', key: 'hmac-secret-xyz\n' },
    );
    const loaded = loadConfig(path, {});
    expect(loaded.channels).toEqual([
      { name: 'ops', type: 'webhook', url: 'http://127.0.0.1:9/hook-token-abc', secret: 'hmac-secret-xyz', headers: {}, events: ['crashloop', 'restarted'] },
    ]);
    expect(loaded.secrets).toEqual(['http://127.0.0.1:9/hook-token-abc', 'hmac-secret-xyz']);
  });

  it('takes a channel URL and secret file from HEALER_ALERT_<CHANNEL>_URL_FILE and _SECRET_FILE over the file', () => {
    const path = write(
      'alerts:\n  channels:\n    - name: ops-pager\n      type: webhook\n      url: http://127.0.0.1:9/from-yaml\n    - name: slack\n      type: slack\n      url: http://127.0.0.1:9/slack-hook\n',
      { url: 'http://127.0.0.1:9/from-env-file\n', key: 'hmac-from-env\n' },
    );
    const dir = path.slice(0, path.lastIndexOf('/'));
    const loaded = loadConfig(path, { HEALER_ALERT_OPS_PAGER_URL_FILE: `${dir}/url`, HEALER_ALERT_OPS_PAGER_SECRET_FILE: `${dir}/key` });
    expect(loaded.channels.map((c) => [c.name, c.url, c.secret])).toEqual([
      ['ops-pager', 'http://127.0.0.1:9/from-env-file', 'hmac-from-env'],
      ['slack', 'http://127.0.0.1:9/slack-hook', undefined],
    ]);
    expect(loaded.secrets).toEqual(expect.arrayContaining(['http://127.0.0.1:9/from-env-file', 'hmac-from-env']));
  });

  it('names the variable when a channel variable matches no channel or its file cannot be read', () => {
    const path = write('alerts:\n  channels:\n    - name: ops-pager\n      type: slack\n      url: http://127.0.0.1:9/a\n');
    expect(problems(path, { HEALER_ALERT_PAGER_URL_FILE: '/run/secrets/pager' })).toEqual([
      'environment HEALER_ALERT_PAGER_URL_FILE: no alert channel in watchdog.yml is called PAGER (channels: ops-pager (OPS_PAGER))',
    ]);
    expect(problems(undefined, { HEALER_ALERT_OPS_SECRET_FILE: '/run/secrets/ops' })).toEqual([
      'environment HEALER_ALERT_OPS_SECRET_FILE: no alert channel in watchdog.yml is called OPS (there are none)',
    ]);
    const twins = write('alerts:\n  channels:\n    - name: ops-a\n      type: slack\n      url: http://127.0.0.1:9/a\n    - name: ops_a\n      type: slack\n      url: http://127.0.0.1:9/b\n');
    expect(problems(twins, { HEALER_ALERT_OPS_A_URL_FILE: '/run/secrets/a' })).toEqual([
      'environment HEALER_ALERT_OPS_A_URL_FILE: matches more than one alert channel (ops-a, ops_a); rename one of them',
    ]);
    const missing = `${path}.absent`;
    expect(problems(path, { HEALER_ALERT_OPS_PAGER_URL_FILE: missing })).toEqual([
      `environment HEALER_ALERT_OPS_PAGER_URL_FILE: alerts.channels[0].url_file: cannot read ${missing} (ENOENT)`,
    ]);
  });

  it.each([
    ['alerts:\n  channels:\n    - name: ops\n      type: slack\n      url_file: DIR/missing\n', /watchdog\.yml:5: alerts\.channels\[0\]\.url_file: cannot read .*missing \(ENOENT\)$/],
    ['alerts:\n  channels:\n    - name: ops\n      type: slack\n      url: http://127.0.0.1:9/a\n    - name: ops\n      type: discord\n      url: http://127.0.0.1:9/b\n', /watchdog\.yml:6: alerts\.channels\[1\]\.name: "ops" is used by an earlier channel$/],
    ['alerts:\n  channels:\n    - name: ops\n      type: slack\n', /watchdog\.yml:3: alerts\.channels\[0\]: needs exactly one of url and url_file$/],
    ['alerts:\n  channels:\n    - name: ops\n      type: pager\n      url: http://127.0.0.1:9/a\n', /alerts\.channels\[0\]\.type: "pager" is not a channel type \(one of slack, discord, teams, webhook, alertmanager\)$/],
    ['alerts:\n  channels:\n    - name: ops\n      type: slack\n      url: http://127.0.0.1:9/a\n      events: [explosion]\n', /watchdog\.yml:6: alerts\.channels\[0\]\.events\[0\]: "explosion" is not an alert event/],
    ['alerts:\n  channels:\n    - name: ops\n      type: slack\n      url: ftp://x\n', /alerts\.channels\[0\]\.url: is not an http\(s\) URL$/],
  ])('rejects %j', (yaml, pattern) => {
    const found = problems(write(yaml));
    expect(found.some((p) => pattern.test(p)), found.join('\n')).toBe(true);
    expect(found.join('\n')).not.toContain('127.0.0.1:9/');
  });
});

describe('server', () => {
  const dir = mkdtempSync(`${tmpdir()}/healer-server-`);
  const file = (name: string, text: string): string => {
    writeFileSync(`${dir}/${name}`, text);
    return `${dir}/${name}`;
  };

  it('listens on :9299 on every interface by default, with no token', () => {
    const loaded = loadConfig(undefined, {});
    expect(loaded.config.server.listen).toEqual({ host: '0.0.0.0', port: 9299 });
    expect(loaded.serverToken).toBeUndefined();
  });

  it.each([
    [':9299', { host: '0.0.0.0', port: 9299 }],
    ['9300', { host: '0.0.0.0', port: 9300 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['[::1]:9299', { host: '::1', port: 9299 }],
    ['localhost:9299', { host: 'localhost', port: 9299 }],
    ['off', false],
    ['false', false],
  ])('reads listen %s', (value, expected) => {
    expect(loadConfig(undefined, { HEALER_SERVER_LISTEN: value }).config.server.listen).toEqual(expected);
  });

  it.each(['9299:', 'http://0.0.0.0:9299', ':70000', 'host:port', '1.2.3.4'])('refuses listen %s with a clear error', (value) => {
    expect(problems(undefined, { HEALER_SERVER_LISTEN: value })).toEqual([
      `environment HEALER_SERVER_LISTEN: ${JSON.stringify(value)} is not a listen address (try :9299, 127.0.0.1:9299 or off)`,
    ]);
  });

  it('reads the token from token_file, trims it, and counts it as a secret', () => {
    const path = file('token', 'abcdefghijklmnopqrstuvwxyz\n');
    const loaded = loadConfig(file('w.yml', `server:\n  token_file: ${path}\n`), {});
    expect(loaded.serverToken).toBe('abcdefghijklmnopqrstuvwxyz');
    expect(loaded.secrets).toContain('abcdefghijklmnopqrstuvwxyz');
  });

  it('stops start-up on a missing or weak token file, naming the key (or the variable) and the file', () => {
    const yaml = file('w2.yml', `log:\n  level: info\nserver:\n  token_file: ${dir}/absent\n`);
    expect(problems(yaml)).toEqual([`${yaml}:4: server.token_file: cannot read ${dir}/absent (ENOENT)`]);
    const short = file('short', 'tooshort\n');
    expect(problems(undefined, { HEALER_SERVER_TOKEN_FILE: short })).toEqual([
      `environment HEALER_SERVER_TOKEN_FILE: server.token_file: ${short} must hold one token of at least 16 characters and no spaces`,
    ]);
  });
});
