import * as z from 'zod/mini';
import './zod-en.ts';
import { compileBodyPattern } from './body-pattern.ts';
import { parseHostRule, type HostRule } from './host-rules.ts';
import { DURATION_PATTERN, formatDuration, parseDuration } from './duration.ts';
import { parseProbeSpec } from './probe-spec.ts';
import { cron } from '../lazy.ts';

/**
 * Field schemas shared by watchdog.yml and container labels. Labels are always strings while YAML has
 * numbers and booleans, so every field accepts both spellings and says what was wrong with the value.
 * Written with zod's mini API (zod-en.ts says why); opt, pre, refined and described stand for classic
 * zod's .optional(), .prefault(), .transform() and .describe()/.meta().
 */

/** `schema`, optional, with a description for the JSON Schema. */
export const opt = <T extends z.ZodMiniType>(schema: T, description?: string) =>
  described(z.optional(schema), description);

/** `schema` with `value` as its input when absent (zod's prefault: the default is parsed too). */
export const pre = <T extends z.ZodMiniType>(schema: T, value: z.input<T>, description?: string) =>
  described(z.prefault(schema, value), description);

/** What a field's parse step reports a bad value through (as zod's classic transform context). */
interface IssueContext {
  addIssue(issue: { code: 'custom'; message: string; path?: PropertyKey[] }): void;
}

/** `schema`'s value turned into what healer uses by `fn`, which reports a bad value and returns z.NEVER. */
export function refined<A extends z.ZodMiniType, O>(schema: A, fn: (v: z.output<A>, ctx: IssueContext) => O) {
  return z.pipe(
    schema,
    z.transform((v: z.output<A>, payload) => fn(v, { addIssue: (issue) => payload.issues.push({ ...issue, input: v }) })),
  );
}

/** `schema` carrying a description (or other JSON Schema keywords) in zod's global registry. */
export function described<T extends z.ZodMiniType>(schema: T, description?: string | z.core.GlobalMeta): T {
  if (description === undefined) return schema;
  z.globalRegistry.add(schema, typeof description === 'string' ? { description } : description);
  return schema;
}

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/** Node's timers fire at once for anything longer (2^31-1 ms, ~24.8 days): no duration may exceed it. */
export const MAX_DURATION_MS = 2_147_483_647;
/** The shortest probe interval: a 0s interval spun the probe loop; the kubelet's floor is 1s. */
export const MIN_INTERVAL_MS = 100;

/** A duration between `minMs` and Node's timer limit; the error names the bound. */
export const boundedDuration = (minMs: number) =>
  described(refined(z.union([z.string(), z.number()]), (v, ctx) => {
      const ms = typeof v === 'string' ? parseDuration(v) : undefined;
      if (ms === undefined) {
        const hint = typeof v === 'number' ? `${v}s` : '10s';
        ctx.addIssue({ code: 'custom', message: `${show(v)} is not a duration (try ${hint})` });
        return z.NEVER;
      }
      if (ms < minMs) {
        ctx.addIssue({ code: 'custom', message: `${show(v)} is shorter than the minimum of ${formatDuration(minMs)}` });
        return z.NEVER;
      }
      if (ms > MAX_DURATION_MS) {
        ctx.addIssue({ code: 'custom', message: `${show(v)} is longer than the maximum of ${formatDuration(MAX_DURATION_MS)} (Node's timer limit)` });
        return z.NEVER;
      }
      return ms;
    }), { description: 'A duration: 500ms, 10s, 5m, 1h, 1h30m', pattern: DURATION_PATTERN });

export const durationField = boundedDuration(0);
/** A probe interval: at least MIN_INTERVAL_MS. */
export const intervalField = boundedDuration(MIN_INTERVAL_MS);

export const countField = (min: number) =>
  described(refined(z.union([z.string(), z.number()]), (v, ctx) => {
      const n = typeof v === 'number' ? v : /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
      if (!Number.isInteger(n) || n < min) {
        ctx.addIssue({ code: 'custom', message: `${show(v)} is not a whole number of at least ${min}` });
        return z.NEVER;
      }
      return n;
    }), { description: `A whole number, at least ${min}` });

export const fractionField = refined(z.union([z.string(), z.number()]), (v, ctx) => {
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(n) || n <= 0 || n > 1) {
      ctx.addIssue({ code: 'custom', message: `${show(v)} is not a fraction in (0, 1]` });
      return z.NEVER;
    }
    return n;
  });

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** Parses the boolean spellings PRODUCT.md allows; undefined for anything else. */
export function parseBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  const s = String(v).trim().toLowerCase();
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  return undefined;
}

export const boolField = refined(z.union([z.boolean(), z.string(), z.number()]), (v, ctx) => {
    const b = parseBool(v);
    if (b === undefined) {
      ctx.addIssue({ code: 'custom', message: `${show(v)} is not a boolean (use true or false)` });
      return z.NEVER;
    }
    return b;
  });

export const cronField = described(refined(z.string(), (v, ctx) => {
    const fields = v.trim().split(/\s+/).length;
    try {
      if (fields !== 6) throw new Error(`it has ${fields} fields`);
      cron().parse(v.trim());
      return v.trim();
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      ctx.addIssue({
        code: 'custom',
        message: `${show(v)} is not a cron schedule with seconds (${why}; try "*/15 * * * * *")`,
      });
      return z.NEVER;
    }
  }), { description: 'Cron with a seconds field first, e.g. "*/15 * * * * *"' });

export const probeSpecField = refined(z.string(), (v, ctx) => {
  const r = parseProbeSpec(v);
  if (!r.ok) {
    ctx.addIssue({ code: 'custom', message: r.error });
    return z.NEVER;
  }
  return r.spec;
});

/** `200-399`, `200,204`, `200-299,304`: inclusive ranges. */
export const statusField = refined(z.union([z.string(), z.number()]), (v, ctx) => {
    const ranges: [number, number][] = [];
    for (const part of String(v).split(',')) {
      const m = /^\s*(\d{3})(?:\s*-\s*(\d{3}))?\s*$/.exec(part);
      const lo = m ? Number(m[1]) : NaN;
      const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
      if (!m || lo < 100 || hi > 599 || lo > hi) {
        ctx.addIssue({ code: 'custom', message: `${show(v)} is not a status list (try 200-399 or 200,204)` });
        return z.NEVER;
      }
      ranges.push([lo, hi]);
    }
    return ranges;
  });

/** A `body` pattern, matched in linear time (see body-pattern.ts). */
export const regexField = refined(z.string(), (v, ctx) => {
  const r = compileBodyPattern(v);
  if (!r.ok) {
    ctx.addIssue({ code: 'custom', message: r.error });
    return z.NEVER;
  }
  return r.pattern;
});

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'OPTIONS', 'PATCH', 'DELETE'] as const;
export const methodField = refined(z.string(), (v, ctx) => {
    const m = v.trim().toUpperCase();
    if (!(METHODS as readonly string[]).includes(m)) {
      ctx.addIssue({ code: 'custom', message: `${show(v)} is not an HTTP method (one of ${METHODS.join(', ')})` });
      return z.NEVER;
    }
    return m as (typeof METHODS)[number];
  });

/** `db,cache` or a YAML list: names of services or containers. */
export const namesField = refined(z.union([z.string(), z.array(z.string())]), (v, ctx) => {
    const names = (typeof v === 'string' ? v.split(',') : v).map((s) => s.trim()).filter((s) => s !== '');
    if (names.length === 0) {
      ctx.addIssue({ code: 'custom', message: `${show(v)} names nothing (try db,cache)` });
      return z.NEVER;
    }
    return names;
  });

/** `probes.allow_hosts`: names, IPs and CIDRs a label's probe may reach beyond its own container. */
export const hostRulesField = described(refined(z.array(z.union([z.string(), z.number()])), (v, ctx) => {
    const rules: HostRule[] = [];
    v.forEach((entry, i) => {
      const r = parseHostRule(String(entry));
      if (r.ok) rules.push(r.rule);
      else ctx.addIssue({ code: 'custom', message: r.error, path: [i] });
    });
    return rules;
  }), { description: 'Host names, IP addresses or CIDRs (10.0.0.0/24, fd00::/8)' });

/** `probes.allow_methods`: HTTP methods a label may use. */
export const methodsField = described(z.array(methodField), { description: `HTTP methods, of ${METHODS.join(', ')}` });

/** One of a fixed set of words; the error lists them. */
export const enumField = <const T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z.enum(values, { error: (iss) => `${show(iss.input)} is not ${what} (one of ${values.join(', ')})` });

export const ACTIONS = ['restart', 'stop', 'notify'] as const;
export const actionField = enumField(ACTIONS, 'an action');

/** Where the HTTP listener binds; `false` when it is turned off. */
export type ListenAddress = { readonly host: string; readonly port: number } | false;

/**
 * `:9299` (every interface), `127.0.0.1:9299`, `[::1]:9299`, or `off`. Port 0 picks a free port (tests).
 */
export const listenField = described(refined(z.union([z.string(), z.number(), z.boolean()]), (v, ctx): ListenAddress => {
    if (v === false || (typeof v === 'string' && parseBool(v) === false)) return false;
    const text = String(v).trim();
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(text) ?? /^()()(\d{1,5})$/.exec(text);
    const port = m ? Number(m[3]) : NaN;
    if (!m || port > 65535) {
      ctx.addIssue({ code: 'custom', message: `${show(v)} is not a listen address (try :9299, 127.0.0.1:9299 or off)` });
      return z.NEVER;
    }
    return { host: m[1] || m[2] || '0.0.0.0', port };
  }), { description: 'host:port, :port (all interfaces) or off', type: 'string' });
