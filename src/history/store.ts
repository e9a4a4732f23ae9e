import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Clock } from '../watchdog/clock.ts';
import { CLOCK_SLACK_MS } from '../watchdog/clock-step.ts';
import type { HistorySink, Transition } from '../watchdog/history.ts';
import type { Role } from '../watchdog/state-machine.ts';
import { ProbeMinutes, type MinuteRow } from './minutes.ts';
import { SCHEMA } from './schema.ts';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
/** Minute buckets are kept this long; older probe data lives on as hourly rows for the whole retention. */
export const MINUTE_RETENTION_MS = 24 * HOUR;
/**
 * Probe minutes a failing flush keeps in memory for the next one: 15 minutes (at 2,000 containers about
 * 30,000 rows, a few MB). A lock held longer, or a full disk, drops the older ones, counted and said.
 */
export const UNWRITTEN_MINUTES_MS = 15 * MINUTE;

export interface HistoryOptions {
  /** File path, or ':memory:'. */
  readonly path: string;
  readonly retentionMs: number;
  readonly maxBytes: number;
  readonly clock: Clock;
  /**
   * A write that failed (the file locked by another writer, the disk full): the history is only for the
   * page, so it is reported here and never thrown into healing. Default: ignored.
   */
  readonly onError?: (what: string, err: Error) => void;
  /** Probe minutes given up on (unwritten too long, or at shutdown), with their count: said every time. */
  readonly onDropped?: (message: string) => void;
}

/**
 * The history in node:sqlite (built into Node 24: no native module to compile, nothing to download, one
 * file). WAL with synchronous=NORMAL: a crash (of healer or the machine) loses at most the last commits,
 * never the file. Transitions are written as they happen (they are rare); probe results are summed per
 * container and minute in memory and written once a minute, so 2,000 probes a second cost one small
 * transaction a minute. Retention (age) and a size bound are applied after each flush.
 */
export class HistoryStore implements HistorySink {
  readonly db: DatabaseSync;
  private readonly opts: HistoryOptions;
  private readonly minutes = new ProbeMinutes();
  private readonly insertTransition: StatementSync;
  private readonly upsertMinute: StatementSync;
  private readonly upsertHour: StatementSync;
  private readonly clampTransitions: StatementSync;
  private timer: object | undefined;
  private closed = false;
  private probeWrites = 0;
  private transitionWrites = 0;

  constructor(opts: HistoryOptions) {
    this.opts = opts;
    if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
    this.db = new DatabaseSync(opts.path);
    this.db.exec(SCHEMA);
    this.insertTransition = this.db.prepare(
      'INSERT INTO transitions (at, container, project, event, reason, recovery_ms, exit_code, oom) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const upsert = (table: string) =>
      this.db.prepare(
        `INSERT INTO ${table} (container, role, t, ok, fail, latency_sum, latency_max) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (container, role, t) DO UPDATE SET ok = ok + excluded.ok, fail = fail + excluded.fail,
         latency_sum = latency_sum + excluded.latency_sum, latency_max = max(latency_max, excluded.latency_max)`,
      );
    this.upsertMinute = upsert('probe_minutes');
    this.upsertHour = upsert('probe_hours');
    this.clampTransitions = this.db.prepare('UPDATE transitions SET at = ? WHERE at > ?');
  }

  /** Flushes once a minute from now on; the timer does not keep the process alive. */
  start(): void {
    const tick = () => {
      this.flush();
      if (!this.closed) this.timer = this.opts.clock.setTimeout(tick, MINUTE);
      (this.timer as { unref?: () => void } | undefined)?.unref?.();
    };
    this.timer = this.opts.clock.setTimeout(tick, MINUTE);
    (this.timer as { unref?: () => void }).unref?.();
  }

  transition(t: Transition): void {
    if (this.closed) return;
    this.transitionWrites++;
    try {
      this.clampFuture();
      this.insertTransition.run(t.at, t.container, t.project ?? null, t.event, t.reason, t.recoveryMs ?? null, t.exitCode ?? null, t.oom === undefined ? null : t.oom ? 1 : 0);
    } catch (err) {
      this.failed('record a transition', err);
    }
  }

  probe(_containerId: string, name: string, role: Role, ok: boolean, latencyMs: number, at: number): void {
    if (!this.closed) this.minutes.add(name, role === 'liveness' ? 0 : 1, ok, latencyMs, at);
  }

  /**
   * Counts what may have changed the file's probe rows (flushes, pruning) and its transitions (a
   * transition; a flush, which stamps future ones now; pruning): a reader that kept what it read at one
   * count reads again when it moves.
   */
  get versions(): { probes: number; transitions: number } {
    return { probes: this.probeWrites, transitions: this.transitionWrites };
  }

  /** The minute still being summed, for queries that want the live edge. */
  get current(): ProbeMinutes {
    return this.minutes;
  }

  /**
   * Writes the summed minutes, then drops what is past retention or over the size bound; never throws.
   * Minutes it cannot write are kept for the next flush (UNWRITTEN_MINUTES_MS at most).
   */
  flush(): void {
    if (this.closed) return;
    this.probeWrites++;
    this.transitionWrites++;
    const rows = this.minutes.drain();
    try {
      this.write(rows);
    } catch (err) {
      const dropped = this.minutes.keep(rows, this.opts.clock.now() - UNWRITTEN_MINUTES_MS);
      this.failed('write the probe minutes (kept for the next flush)', err);
      if (dropped.rows > 0) {
        this.opts.onDropped?.(`dropped ${dropped.rows} container-minutes (${dropped.probes} probe results) unwritten for over ${UNWRITTEN_MINUTES_MS / MINUTE} minutes`);
      }
      return;
    }
    try {
      this.prune();
    } catch (err) {
      this.failed('prune the history', err);
    }
  }

  private failed(what: string, err: unknown): void {
    this.opts.onError?.(what, err instanceof Error ? err : new Error(String(err)));
  }

  /** All rows in one transaction: written together or (rolled back) not at all, so keeping them is right. */
  private write(rows: readonly MinuteRow[]): void {
    if (rows.length === 0) return;
    this.db.exec('BEGIN');
    try {
      for (const r of rows) {
        this.upsertMinute.run(r.container, r.role, r.minute, r.ok, r.fail, r.latencySum, r.latencyMax);
        this.upsertHour.run(r.container, r.role, r.minute - (r.minute % HOUR), r.ok, r.fail, r.latencySum, r.latencyMax);
      }
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  /**
   * Transitions stamped ahead of now (CLOCK_SLACK_MS) were written while the wall clock ran ahead and was
   * since stepped back: they are stamped now, so 'last recovery' and the newest-first timeline are what
   * happened last, not what the clock that was ahead stamped. An index range that is empty unless the
   * clock stepped back; run before each transition and each flush.
   */
  private clampFuture(): void {
    const now = this.opts.clock.now();
    this.clampTransitions.run(now, now + CLOCK_SLACK_MS);
  }

  /** Age first, then size: the oldest minute rows go, then the oldest transitions and hours, in steps. */
  prune(): void {
    this.probeWrites++;
    this.transitionWrites++;
    this.clampFuture();
    const now = this.opts.clock.now();
    const cutoff = now - this.opts.retentionMs;
    this.db.prepare('DELETE FROM transitions WHERE at < ?').run(cutoff);
    this.db.prepare('DELETE FROM probe_hours WHERE t < ?').run(cutoff - HOUR);
    this.db.prepare('DELETE FROM probe_minutes WHERE t < ?').run(now - Math.min(MINUTE_RETENTION_MS, this.opts.retentionMs));
    for (let i = 0; i < 50 && this.bytes() > this.opts.maxBytes; i++) {
      const oldest = (table: string, col: string) => (this.db.prepare(`SELECT min(${col}) AS t FROM ${table}`).get() as { t: number | null }).t;
      const candidates = [oldest('probe_minutes', 't'), oldest('probe_hours', 't'), oldest('transitions', 'at')].filter((t): t is number => t !== null);
      if (candidates.length === 0) break;
      // Drop the oldest tenth of what is left, one table at a time, oldest first.
      const from = Math.min(...candidates);
      const step = Math.max(MINUTE, (now - from) / 10);
      this.db.prepare('DELETE FROM probe_minutes WHERE t < ?').run(from + step);
      this.db.prepare('DELETE FROM probe_hours WHERE t < ?').run(from + step);
      this.db.prepare('DELETE FROM transitions WHERE at < ?').run(from + step);
      this.db.exec('PRAGMA incremental_vacuum');
    }
    this.db.exec('PRAGMA incremental_vacuum');
  }

  /** The database's size in bytes (pages in use; the WAL is checkpointed into it). */
  bytes(): number {
    const pages = (this.db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count;
    const free = (this.db.prepare('PRAGMA freelist_count').get() as { freelist_count: number }).freelist_count;
    const size = (this.db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size;
    return (pages - free) * size;
  }

  /** SIGTERM: the minute being summed is written, then the file is closed cleanly. */
  close(): void {
    if (this.closed) return;
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.flush();
    const left = this.minutes.drain();
    if (left.length > 0) {
      const probes = left.reduce((n, r) => n + r.ok + r.fail, 0);
      this.opts.onDropped?.(`dropped ${left.length} container-minutes (${probes} probe results) unwritten at shutdown`);
    }
    this.closed = true;
    try {
      this.db.close();
    } catch (err) {
      this.failed('close the file', err);
    }
  }
}
