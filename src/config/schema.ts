import * as z from 'zod/mini';
import {
  actionField,
  boolField,
  countField,
  cronField,
  durationField,
  intervalField,
  enumField,
  hostRulesField,
  methodsField,
  fractionField,
  listenField,
  methodField,
  namesField,
  probeSpecField,
  regexField,
  statusField,
  opt,
  pre,
} from './fields.ts';
import { headersField } from './headers.ts';
import { trustedProxiesField } from './proxies.ts';

/**
 * One schema for a container's policy, used twice: for `defaults` in watchdog.yml and for the merge of
 * those defaults with a container's labels. Every field has its built-in default here, so the parsed
 * result is the effective policy. (zod's mini API, see zod-en.ts; opt and pre: fields.ts.)
 */
const probeOptions = z.strictObject({
  probe: opt(probeSpecField, 'Probe spec: http://:8080/healthz, tcp://:5432, exec:cmd args, docker'),
  interval: pre(intervalField, '10s', 'Time between probes (at least 100ms)'),
  schedule: opt(cronField, 'Cron with seconds; replaces interval'),
  timeout: pre(durationField, '2s', 'Time a single probe may take'),
  failures: pre(countField(1), 3, 'Failures in a row before acting'),
  successes: pre(countField(1), 1, 'Successes in a row to count as recovered'),
  start_period: pre(durationField, '0s', 'Failures this soon after a start do not count'),
  status: pre(statusField, '200-399', 'Accepted HTTP status codes'),
  body: opt(regexField, 'Regular expression the HTTP body must match'),
  method: pre(methodField, 'GET', 'HTTP method'),
  header: pre(headersField, {}, 'Extra HTTP request headers'),
});

export const policySchema = z.strictObject({
  liveness: pre(probeOptions, {}, 'Failing it restarts the container'),
  readiness: pre(probeOptions, {}, 'Reported, never acted on'),
  action: pre(actionField, 'restart', 'restart, stop (quarantine) or notify (alert only)'),
  restart: pre(
    z.strictObject({
      timeout: pre(durationField, '10s', 'Grace before SIGKILL when restarting'),
      on_exit: pre(boolField, false, 'Also start containers that exit non-zero or are OOM-killed'),
    }),
    {},
  ),
  backoff: pre(
    z.strictObject({
      initial: pre(durationField, '10s', 'Wait before the second restart; doubles each time'),
      max: pre(durationField, '5m', 'Longest wait between restarts'),
      reset: pre(durationField, '10m', 'Healthy this long without a break: backoff and crash loop start afresh'),
    }),
    {},
  ),
  crashloop: pre(
    z.strictObject({
      restarts: pre(countField(1), 5, 'More restarts than this within the window is a crash loop'),
      window: pre(durationField, '10m', 'The window restarts are counted in'),
      action: pre(enumField(['retry', 'giveup'], 'a crash-loop action'), 'retry', 'retry at max backoff, or give up'),
    }),
    {},
  ),
  task: pre(
    z.strictObject({
      replace: pre(enumField(['remove', 'stop'], 'a task replacement'), 'remove', 'How a Swarm task failing a probe of healer is handed back for Swarm to replace: remove it, or stop it (kept as task history)'),
      orphans: pre(enumField(['report', 'remove'], 'an orphan action'), 'report', 'A task container started again outside Swarm (an untracked orphan): report it, or also hand it back (task.replace)'),
      healthcheck: pre(
        enumField(['orchestrator', 'healer'], 'who acts on a task HEALTHCHECK'),
        'orchestrator',
        "Who acts on a Swarm task's Docker HEALTHCHECK: orchestrator (Swarm replaces unhealthy tasks itself) or healer (it replaces them too)",
      ),
    }),
    {},
    'Containers an orchestrator owns (Swarm tasks): never restarted or started, only handed back',
  ),
  depends_on: opt(namesField, 'Compose services of the same project (inside compose), container names (outside compose, or /name); while one fails, this one is held'),
  network: opt(z.string(), 'Network whose address an empty probe host resolves to'),
  scope: opt(z.string(), 'Scope name, matched against discovery.scope'),
  alert: opt(namesField, 'Channel names, or none (default: every channel)'),
});

export type PolicyOutput = z.output<typeof policySchema>;
export type ProbeOptionsOutput = z.output<typeof probeOptions>;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

export const ALERT_EVENTS = [
  'unhealthy',
  'restarted',
  'restart_failed',
  'recovered',
  'died',
  'crashloop',
  'orphan',
  'not_ready',
  'ready',
  'held',
  'paused',
  'resumed',
  'docker_unreachable',
  'docker_reconnected',
] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];
export const CHANNEL_TYPES = ['slack', 'discord', 'teams', 'webhook', 'alertmanager'] as const;

const channelSchema = z
  .strictObject({
    name: z.string().check(z.regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lower-case letters, digits, dashes or underscores')),
    type: enumField(CHANNEL_TYPES, 'a channel type'),
    url: opt(z.string(), 'Webhook URL; prefer url_file, since it is a secret'),
    url_file: opt(z.string(), 'File holding the webhook URL'),
    secret: opt(z.string(), 'webhook: HMAC-SHA256 key for X-Healer-Signature'),
    secret_file: opt(z.string()),
    events: opt(z.array(enumField(ALERT_EVENTS, 'an alert event')), 'Only these events (default: all)'),
    headers: pre(headersField, {}, 'Extra request headers'),
  })
  .check(
    z.refine((c) => (c.url === undefined) !== (c.url_file === undefined), { message: 'needs exactly one of url and url_file' }),
    z.refine((c) => c.secret === undefined || c.secret_file === undefined, { message: 'has both secret and secret_file; keep one' }),
  );

export const configSchema = z.strictObject({
  docker: pre(
    z.strictObject({
      host: pre(z.string(), 'unix:///var/run/docker.sock', 'unix:///path, tcp://host:port'),
      tls: opt(
        z.strictObject({
          verify: pre(boolField, true),
          ca_file: opt(z.string()),
          cert_file: opt(z.string()),
          key_file: opt(z.string()),
        }),
        'TLS for tcp:// hosts; files in PEM',
      ),
      stall_check: pre(
        intervalField,
        '60s',
        'How often the container list is compared with what the event stream told; a change no event told for 10 s more means the stream stalled, and it is reopened',
      ),
    }),
    {},
  ),
  discovery: pre(
    z.strictObject({
      watch: pre(enumField(['labelled', 'all'], 'a watch mode'), 'labelled', 'labelled: opt-in; all: opt-out'),
      label_prefix: pre(z.string().check(z.regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower-case letters, digits, dots, dashes or underscores')), 'healer'),
      project: opt(z.string(), 'Only containers of this compose project'),
      scope: opt(z.string(), 'Only containers whose <prefix>.scope label equals this'),
    }),
    {},
  ),
  swarm: pre(
    z.strictObject({
      crashloops: pre(
        enumField(['node', 'cluster'], 'a crash-loop count'),
        'node',
        "node: each node's healer counts the tasks of its own node; cluster: the Swarm leader's healer counts replicated slots across every node",
      ),
      poll: pre(intervalField, '10s', 'With crashloops: cluster, how often the leader reads the tasks of opted-in services'),
    }),
    {},
    'Docker Swarm (README "Docker Swarm")',
  ),
  defaults: pre(policySchema, {}, 'Defaults for every label option'),
  guards: pre(
    z.strictObject({
      max_concurrent_restarts: pre(countField(1), 2, 'Restarts in flight at once'),
      max_label_restart_timeout: pre(
        durationField,
        '5m',
        'The longest healer.restart.timeout a label may set: a restart holds one of the max_concurrent_restarts slots that long (SECURITY.md)',
      ),
      mass_failure: pre(
        z.strictObject({
          fraction: pre(fractionField, 0.5, 'Pause restarts while more than this fraction fails'),
          min_containers: pre(countField(1), 4, 'Only with at least this many watched containers'),
        }),
        {},
        'The breaker: a host-wide failure is not fixed by restarting everything',
      ),
    }),
    {},
  ),
  alerts: pre(
    z.strictObject({
      channels: pre(z.array(channelSchema), []),
      log_lines: pre(countField(0), 20, 'Last lines of the container log in each alert (0: none)'),
      timeout: pre(durationField, '5s', 'Time one delivery attempt may take'),
      retries: pre(countField(0), 5, 'Retries after a failed attempt (network errors, 5xx, 429)'),
      queue: pre(countField(1), 200, 'Alerts waiting per channel; more are dropped and counted'),
      throttle: pre(
        z.strictObject({
          window: pre(durationField, '10m', 'The same event of the same container at most once per window'),
          per_minute: pre(countField(1), 30, 'Deliveries per channel per minute'),
        }),
        {},
      ),
    }),
    {},
  ),
  log: pre(
    z.strictObject({
      level: pre(enumField(LOG_LEVELS, 'a log level'), 'info'),
      format: pre(enumField(['json', 'pretty'], 'a log format'), 'json'),
    }),
    {},
  ),
  probes: pre(
    z.strictObject({
      allow_hosts: pre(hostRulesField, [], "Hosts a label's probe may reach besides its own container: names, IPs, CIDRs"),
      allow_methods: pre(methodsField, ['GET', 'HEAD'], 'HTTP methods a label may use'),
      allow_exec: pre(boolField, true, 'Whether a label may set an exec probe (it runs inside that container only)'),
    }),
    {},
    "Where labels may aim probes (SECURITY.md); watchdog.yml defaults are not confined",
  ),
  server: pre(
    z.strictObject({
      listen: pre(listenField, ':9299', 'HTTP listener for /metrics, /healthz and /api/status; off to disable'),
      token_file: opt(z.string().check(z.minLength(1)), 'File holding a bearer token that /metrics and /api/status then require'),
      trusted_proxies: pre(trustedProxiesField, [], 'Reverse proxies in front of the listener (IPs, CIDRs): only from these is the client taken from X-Forwarded-For'),
    }),
    {},
  ),
  state: pre(
    z.strictObject({
      path: pre(z.string().check(z.minLength(1)), 'healer-state.json', 'Restart history, kept across healer restarts'),
    }),
    {},
  ),
  history: pre(
    z.strictObject({
      path: opt(z.string().check(z.minLength(1)), 'SQLite file for the status page history (default: healer-history.db beside the state file); off to keep none'),
      retention: pre(durationField, '168h', 'Transitions and hourly probe summaries older than this are dropped (default 168h: 7 days)'),
      max_size: pre(countField(1), 256, 'Size bound in MB; the oldest history goes first'),
    }),
    {},
  ),
  dry_run: pre(boolField, false, 'Decide and log, never act'),
});

export type Config = z.output<typeof configSchema>;
