/**
 * The state file's form, and its reading. The frame (version, savedAt) must be right or the file is
 * corrupt; each container and slot inside it is read on its own, so one entry written by a newer healer
 * with a value this one does not know (an owed start's cause, a lifecycle) costs that entry, not every
 * container's backoff, crash-loop window and owed start.
 */
import * as z from 'zod/mini';
import '../config/zod-en.ts';
import type { SlotRecord } from './task-slots.ts';
import type { PersistedContainer } from './state-file.ts';

/**
 * A kept time: a number JavaScript can make a date of (|t| <= 8.64e15 ms). A hand-edited or corrupt one
 * outside that range would pass as a number and throw RangeError where it is written out (a log line, an
 * alert's startsAt, the status), from a timer, where nothing catches it: its entry is dropped instead.
 */
const time = z.number().check(z.refine((t) => Number.isFinite(new Date(t).getTime()), { message: 'not a time (outside the range of dates)' }));

const budgetSchema = z.object({
  restarts: z.array(time),
  level: z.int().check(z.minimum(0)),
  lastRestartAt: z.optional(time),
  loop: z.enum(['closed', 'open', 'gave_up']),
  healthySince: z.optional(time),
});
const owedStartSchema = z.object({
  reason: z.string(),
  cause: z.enum(['liveness', 'exit', 'namespace', 'orphan']),
  at: z.optional(time),
  engineAt: z.optional(time),
  engineSlackMs: z.optional(z.number().check(z.minimum(0))),
});
/** Open alerts (state-file.ts OpenAlerts): keys a newer healer adds are not read (their alerts stay open elsewhere). */
const alertsSchema = z.object({
  unhealthy: z.optional(time),
  not_ready: z.optional(time),
  unresolved: z.optional(z.literal(true)),
  crashloop: z.optional(time),
  held: z.optional(time),
  restart_failed: z.optional(time),
});
const containerSchema = z.object({
  name: z.string(),
  budget: budgetSchema,
  lastExit: z.optional(z.object({ at: time, exitCode: z.number(), oom: z.boolean() })),
  lifecycle: z.enum(['running', 'restarting', 'stopped', 'exited', 'paused']),
  restartCount: z.int().check(z.minimum(0)),
  owedStart: z.optional(owedStartSchema),
  startedAt: z.optional(time),
  alerts: z.optional(alertsSchema),
});
const slotSchema = z.object({
  failures: z.array(
    z.discriminatedUnion('kind', [
      z.object({ task: z.string(), at: time, kind: z.literal('exit'), exitCode: z.number() }),
      z.object({ task: z.string(), at: time, kind: z.enum(['unhealthy', 'replaced']) }),
      z.object({ task: z.string(), at: time, kind: z.literal('failed'), err: z.optional(z.string()) }),
    ]),
  ),
  alertedAt: z.optional(time),
  seen: z.optional(z.array(z.string())),
  alertedId: z.optional(z.string()),
  windowMs: z.optional(z.number().check(z.positive())),
});
const frameSchema = z.object({
  version: z.literal(1),
  savedAt: z.number(),
  /** Crash-loop history of orchestrated service slots (task-slots.ts); absent in files before it. */
  slots: z.optional(z.record(z.string(), z.unknown())),
  /** The mass-failure breaker's open `paused` (breaker.ts); absent in files before it and while it is closed. */
  breaker: z.optional(z.unknown()),
  containers: z.record(z.string(), z.unknown()),
});
const breakerSchema = z.object({ pausedSince: time });

/** What was read; `dropped`, each entry left out: its container's name (or id) or slot, and the field. */
export interface ReadState {
  readonly savedAt: number;
  readonly containers: ReadonlyMap<string, Omit<PersistedContainer, 'savedAt'>>;
  readonly slots: ReadonlyMap<string, SlotRecord>;
  /** Since when the breaker pauses restarts, when it was open as the file was written. */
  readonly pausedSince: number | undefined;
  readonly dropped: readonly { readonly container?: string; readonly slot?: string; readonly field: string; readonly why: string; readonly kept: string }[];
}

type Issues = readonly { readonly path: readonly PropertyKey[]; readonly message: string }[];
const fieldOf = (issues: Issues): string => issues[0]?.path.map(String).join('.') ?? '';
const whyOf = (issues: Issues): string => issues.map((i) => i.message).join('; ');

/** Parses the file's JSON text; throws (with the fields at fault) only when its frame is wrong. */
export function readState(text: string): ReadState {
  const frame = frameSchema.safeParse(JSON.parse(text));
  if (!frame.success) throw new Error(frame.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const dropped: ReadState['dropped'][number][] = [];
  const slots = new Map<string, SlotRecord>();
  for (const [key, raw] of Object.entries(frame.data.slots ?? {})) {
    const r = slotSchema.safeParse(raw);
    if (r.success) slots.set(key, { ...r.data, alertedAt: r.data.alertedAt });
    else dropped.push({ slot: key, field: fieldOf(r.error.issues), why: whyOf(r.error.issues), kept: 'the slot' });
  }
  let pausedSince: number | undefined;
  if (frame.data.breaker !== undefined) {
    const b = breakerSchema.safeParse(frame.data.breaker);
    if (b.success) pausedSince = b.data.pausedSince;
    else dropped.push({ field: `breaker.${fieldOf(b.error.issues)}`, why: whyOf(b.error.issues), kept: 'the breaker (it starts closed)' });
  }
  const containers = new Map<string, Omit<PersistedContainer, 'savedAt'>>();
  for (const [id, raw] of Object.entries(frame.data.containers)) {
    const name = typeof (raw as { name?: unknown } | null)?.name === 'string' ? (raw as { name: string }).name : id;
    let r = containerSchema.safeParse(raw);
    // An owed start or open alerts this version cannot read are dropped alone: the container's history is still good.
    for (const [field, kept] of [['owedStart', 'the owed start'], ['alerts', 'its open alerts (no `recovered` will end them)']] as const) {
      if (r.success || !r.error.issues.every((i) => i.path[0] === field)) continue;
      dropped.push({ container: name, field: fieldOf(r.error.issues), why: whyOf(r.error.issues), kept });
      r = containerSchema.safeParse({ ...(raw as object), [field]: undefined });
    }
    if (r.success) containers.set(id, r.data as Omit<PersistedContainer, 'savedAt'>);
    else dropped.push({ container: name, field: fieldOf(r.error.issues), why: whyOf(r.error.issues), kept: 'the container' });
  }
  return { savedAt: frame.data.savedAt, containers, slots, pausedSince, dropped };
}
