import { z } from 'zod';
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
} from './fields.ts';

/**
 * One schema for a container's policy, used twice: for `defaults` in watchdog.yml and for the merge of
 * those defaults with a container's labels. Every field has its built-in default here, so the parsed
 * result is the effective policy.
 */
const probeOptions = z.strictObject({
  probe: probeSpecField.optional().describe('Probe spec: http://:8080/healthz, tcp://:5432, exec:cmd args, docker'),
  interval: intervalField.prefault('10s').describe('Time between probes (at least 100ms)'),
  schedule: cronField.optional().describe('Cron with seconds; replaces interval'),
  timeout: durationField.prefault('2s').describe('Time a single probe may take'),
  failures: countField(1).prefault(3).describe('Failures in a row before acting'),
  successes: countField(1).prefault(1).describe('Successes in a row to count as recovered'),
  start_period: durationField.prefault('0s').describe('Failures this soon after a start do not count'),
  status: statusField.prefault('200-399').describe('Accepted HTTP status codes'),
  body: regexField.optional().describe('Regular expression the HTTP body must match'),
  method: methodField.prefault('GET').describe('HTTP method'),
  header: z.record(z.string(), z.string()).prefault({}).describe('Extra HTTP request headers'),
});

export const policySchema = z.strictObject({
  liveness: probeOptions.prefault({}).describe('Failing it restarts the container'),
  readiness: probeOptions.prefault({}).describe('Reported, never acted on'),
  action: actionField.prefault('restart').describe('restart, stop (quarantine) or notify (alert only)'),
  restart: z
    .strictObject({
      timeout: durationField.prefault('10s').describe('Grace before SIGKILL when restarting'),
      on_exit: boolField.prefault(false).describe('Also start containers that exit non-zero or are OOM-killed'),
    })
    .prefault({}),
  backoff: z
    .strictObject({
      initial: durationField.prefault('10s').describe('Wait before the second restart; doubles each time'),
      max: durationField.prefault('5m').describe('Longest wait between restarts'),
      reset: durationField.prefault('10m').describe('Healthy this long without a break: backoff and crash loop start afresh'),
    })
    .prefault({}),
  crashloop: z
    .strictObject({
      restarts: countField(1).prefault(5).describe('More restarts than this within the window is a crash loop'),
      window: durationField.prefault('10m').describe('The window restarts are counted in'),
      action: enumField(['retry', 'giveup'], 'a crash-loop action').prefault('retry').describe('retry at max backoff, or give up'),
    })
    .prefault({}),
  task: z
    .strictObject({
      replace: enumField(['remove', 'stop'], 'a task replacement').prefault('remove').describe('How a Swarm task failing a probe of healer is handed back for Swarm to replace: remove it, or stop it (kept as task history)'),
      orphans: enumField(['report', 'remove'], 'an orphan action').prefault('report').describe('A task container started again outside Swarm (an untracked orphan): report it, or also hand it back (task.replace)'),
      healthcheck: enumField(['orchestrator', 'healer'], 'who acts on a task HEALTHCHECK').prefault('orchestrator').describe("Who acts on a Swarm task's Docker HEALTHCHECK: orchestrator (Swarm replaces unhealthy tasks itself) or healer (it replaces them too)"),
    })
    .prefault({})
    .describe('Containers an orchestrator owns (Swarm tasks): never restarted or started, only handed back'),
  depends_on: namesField.optional().describe('Compose services or container names; while one fails, this one is held'),
  network: z.string().optional().describe('Network whose address an empty probe host resolves to'),
  scope: z.string().optional().describe('Scope name, matched against discovery.scope'),
  alert: namesField.optional().describe('Channel names, or none (default: every channel)'),
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
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lower-case letters, digits, dashes or underscores'),
    type: enumField(CHANNEL_TYPES, 'a channel type'),
    url: z.string().optional().describe('Webhook URL; prefer url_file, since it is a secret'),
    url_file: z.string().optional().describe('File holding the webhook URL'),
    secret: z.string().optional().describe('webhook: HMAC-SHA256 key for X-Healer-Signature'),
    secret_file: z.string().optional(),
    events: z.array(enumField(ALERT_EVENTS, 'an alert event')).optional().describe('Only these events (default: all)'),
    headers: z.record(z.string(), z.string()).prefault({}).describe('Extra request headers'),
  })
  .refine((c) => (c.url === undefined) !== (c.url_file === undefined), { message: 'needs exactly one of url and url_file' })
  .refine((c) => c.secret === undefined || c.secret_file === undefined, { message: 'has both secret and secret_file; keep one' });

export const configSchema = z.strictObject({
  docker: z
    .strictObject({
      host: z.string().prefault('unix:///var/run/docker.sock').describe('unix:///path, tcp://host:port'),
      tls: z
        .strictObject({
          verify: boolField.prefault(true),
          ca_file: z.string().optional(),
          cert_file: z.string().optional(),
          key_file: z.string().optional(),
        })
        .optional()
        .describe('TLS for tcp:// hosts; files in PEM'),
    })
    .prefault({}),
  discovery: z
    .strictObject({
      watch: enumField(['labelled', 'all'], 'a watch mode').prefault('labelled').describe('labelled: opt-in; all: opt-out'),
      label_prefix: z
        .string()
        .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower-case letters, digits, dots, dashes or underscores')
        .prefault('healer'),
      project: z.string().optional().describe('Only containers of this compose project'),
      scope: z.string().optional().describe('Only containers whose <prefix>.scope label equals this'),
    })
    .prefault({}),
  defaults: policySchema.prefault({}).describe('Defaults for every label option'),
  guards: z
    .strictObject({
      max_concurrent_restarts: countField(1).prefault(2).describe('Restarts in flight at once'),
      mass_failure: z
        .strictObject({
          fraction: fractionField.prefault(0.5).describe('Pause restarts while more than this fraction fails'),
          min_containers: countField(1).prefault(4).describe('Only with at least this many watched containers'),
        })
        .prefault({})
        .describe('The breaker: a host-wide failure is not fixed by restarting everything'),
    })
    .prefault({}),
  alerts: z
    .strictObject({
      channels: z.array(channelSchema).prefault([]),
      log_lines: countField(0).prefault(20).describe('Last lines of the container log in each alert (0: none)'),
      timeout: durationField.prefault('5s').describe('Time one delivery attempt may take'),
      retries: countField(0).prefault(5).describe('Retries after a failed attempt (network errors, 5xx, 429)'),
      queue: countField(1).prefault(200).describe('Alerts waiting per channel; more are dropped and counted'),
      throttle: z
        .strictObject({
          window: durationField.prefault('10m').describe('The same event of the same container at most once per window'),
          per_minute: countField(1).prefault(30).describe('Deliveries per channel per minute'),
        })
        .prefault({}),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: enumField(LOG_LEVELS, 'a log level').prefault('info'),
      format: enumField(['json', 'pretty'], 'a log format').prefault('json'),
    })
    .prefault({}),
  probes: z
    .strictObject({
      allow_hosts: hostRulesField.prefault([]).describe("Hosts a label's probe may reach besides its own container: names, IPs, CIDRs"),
      allow_methods: methodsField.prefault(['GET', 'HEAD']).describe('HTTP methods a label may use'),
      allow_exec: boolField.prefault(true).describe('Whether a label may set an exec probe (it runs inside that container only)'),
    })
    .prefault({})
    .describe("Where labels may aim probes (SECURITY.md); watchdog.yml defaults are not confined"),
  server: z
    .strictObject({
      listen: listenField.prefault(':9299').describe('HTTP listener for /metrics, /healthz and /api/status; off to disable'),
      token_file: z.string().min(1).optional().describe('File holding a bearer token that /metrics and /api/status then require'),
    })
    .prefault({}),
  state: z
    .strictObject({
      path: z.string().min(1).prefault('healer-state.json').describe('Restart history, kept across healer restarts'),
    })
    .prefault({}),
  history: z
    .strictObject({
      path: z.string().min(1).optional().describe('SQLite file for the status page history (default: healer-history.db beside the state file); off to keep none'),
      retention: durationField.prefault('168h').describe('Transitions and hourly probe summaries older than this are dropped (default 168h: 7 days)'),
      max_size: countField(1).prefault(256).describe('Size bound in MB; the oldest history goes first'),
    })
    .prefault({}),
  dry_run: boolField.prefault(false).describe('Decide and log, never act'),
});

export type Config = z.output<typeof configSchema>;
