import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { EngineClock } from '../docker/engine-clock.ts';
import type { Budget } from './budget.ts';
import type { Cause, Exit, Lifecycle, MachineState } from './machine-types.ts';
import { openAlerts, type OpenAlerts } from './open-alerts.ts';
import { writeAtomic } from './atomic-write.ts';
import type { SlotRecord } from './task-slots.ts';
import { readState, type ReadState } from './state-schema.ts';

/** What healer keeps of one container across its own restarts. */
export interface PersistedContainer {
  readonly name: string;
  readonly budget: Budget;
  readonly lastExit: Exit | undefined;
  readonly lifecycle: Lifecycle;
  /** The engine's RestartCount when last seen, to count restarts healer missed. */
  readonly restartCount: number;
  /**
   * The start healer owes after its own restart took the container down (MachineState.owedStart). With
   * `at`: written as healer sent a restart (RestartSent), before its stop half could take the container
   * down, and cleared when the engine answers; found on disk, healer was killed between the two halves.
   * `engineAt`: that moment on the engine's clock (to within ± `engineSlackMs`), which the container's
   * FinishedAt is compared with: `at` is healer's clock, minutes off a remote engine's.
   */
  readonly owedStart?: OwedStart | undefined;
  /**
   * The StartedAt of the run healer knew, on the engine's clock: a run started since has a later one (never
   * compared with healer's own clock, which a remote engine's may be minutes off).
   */
  readonly startedAt?: number | undefined;
  /**
   * The alerts healer sent whose end it still owes (README "Alerts"): `unhealthy` and `not_ready` with
   * the first failure of their episode (a `recovered` after healer's restart still measures from it),
   * `unresolved` for a `crashloop`, `restart_failed` or `held` alerted with no liveness probe judged down,
   * `crashloop` with the time an open loop was alerted. Absent in older files and when nothing is open.
   * Restored into the new watch, so the next healer ends them.
   */
  readonly alerts?: OpenAlerts | undefined;
  /** Loaded from a file written at this time: what happened to the container after it is unknown. */
  readonly savedAt?: number | undefined;
}

/** A start owed on disk (PersistedContainer.owedStart). */
export interface OwedStart {
  readonly reason: string;
  readonly cause: Cause;
  readonly at?: number | undefined;
  readonly engineAt?: number | undefined;
  readonly engineSlackMs?: number | undefined;
}

/**
 * healer's restart of a container, sent at `at` and not answered yet: a start is owed if healer dies now.
 * `engine`: the engine's clock read just before (undefined when it could not be read).
 */
export interface RestartSent {
  readonly reason: string;
  readonly cause: Cause;
  readonly at: number;
  readonly engine?: EngineClock | undefined;
}

/** What is kept of one watched container: its state, and the start owed by a restart under way. */
export function persistedEntry(w: { readonly name: string; readonly state: MachineState; readonly info: { readonly restartCount: number; readonly startedAt: number }; readonly restartSent: RestartSent | undefined }): PersistedContainer {
  const s = w.state;
  const sent = s.inFlight && s.lifecycle === 'restarting' ? w.restartSent : undefined;
  const owedStart = s.owedStart ? { reason: s.owedStart.reason, cause: s.owedStart.cause } : sent && owedOf(sent);
  const alerts = openAlerts(s);
  return { name: w.name, budget: s.budget, lastExit: s.lastExit, lifecycle: s.lifecycle, restartCount: w.info.restartCount, owedStart, startedAt: w.info.startedAt, ...(alerts ? { alerts } : {}) };
}

function owedOf(sent: RestartSent): OwedStart {
  const { reason, cause, at, engine } = sent;
  return engine ? { reason, cause, at, engineAt: at + engine.offsetMs, engineSlackMs: engine.slackMs } : { reason, cause, at };
}

/** The shortest gap between two writes of the state file. */
export const WRITE_GAP_MS = 250;

/**
 * The state file: read once at start, written whole after changes that matter (a restart, a crash, a
 * loop opening), coalesced to one write per WRITE_GAP_MS, and at once when healer takes an action.
 * Writes are atomic (atomic-write.ts): a kill -9 at any point leaves either the old or the new file,
 * never half of one.
 */
export class StateFile {
  readonly path: string;
  private readonly log: Logger;
  private readonly entries = new Map<string, PersistedContainer>();
  private readonly slotEntries = new Map<string, SlotRecord>();
  private pausedSince: number | undefined;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  /** Monotonic, as the write gap's timer: a wall-clock step back would hold writes for the step. */
  private lastWriteAt = Number.NEGATIVE_INFINITY;
  private chain: Promise<boolean> = Promise.resolve(true);
  writes = 0;

  /** `now`: the clock the file's `savedAt` is read from (the watchdog's, injected). */
  private readonly now: () => number;
  constructor(path: string, log: Logger, now: () => number = Date.now) {
    this.path = path;
    this.log = log;
    this.now = now;
  }

  /** Loads the file; a missing or unreadable one is reported and replaced, never fatal. */
  load(): void {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') this.log.info({ path: this.path }, 'no state file yet; starting with no restart history');
      else this.log.error({ path: this.path, err: (err as Error).message }, 'cannot read the state file; starting with no restart history');
      return;
    }
    let parsed: ReadState;
    try {
      parsed = readState(text);
    } catch (err) {
      const why = (err as Error).message;
      this.log.error({ path: this.path, err: why.slice(0, 500) }, 'the state file is corrupt; it will be replaced; restart history starts afresh');
      return;
    }
    // Values this version does not know (a newer healer wrote them): that entry is left out, the rest kept.
    for (const d of parsed.dropped) {
      const { kept: what, why, ...at } = d;
      this.log.warn({ path: this.path, ...at, err: why.slice(0, 300) }, `the state file holds a value this healer does not know; ${what} is left out, the rest is kept`);
    }
    for (const [id, c] of parsed.containers) this.entries.set(id, { ...c, savedAt: parsed.savedAt });
    for (const [key, r] of parsed.slots) this.slotEntries.set(key, r);
    this.pausedSince = parsed.pausedSince;
    this.log.info({ path: this.path, containers: this.entries.size }, 'restart history loaded');
  }

  get(id: string): PersistedContainer | undefined {
    return this.entries.get(id);
  }

  /** Records one container; the file is written shortly after (changes that come together, together). */
  set(id: string, entry: PersistedContainer): void {
    this.entries.set(id, entry);
    this.schedule();
  }

  /** The crash-loop history of one orchestrated service slot. */
  slot(key: string): SlotRecord | undefined {
    return this.slotEntries.get(key);
  }

  /** Records (or, with undefined, forgets) one slot's history; written like containers. */
  setSlot(key: string, r: SlotRecord | undefined): void {
    if (r === undefined) {
      if (this.slotEntries.delete(key)) this.schedule();
      return;
    }
    this.slotEntries.set(key, r);
    this.schedule();
  }

  /** Since when the mass-failure breaker pauses restarts (breaker.ts), as last kept; undefined: closed. */
  get breaker(): number | undefined {
    return this.pausedSince;
  }

  /** Keeps the breaker open since `since` (undefined: closed); written at once, as an open alert is. */
  setBreaker(since: number | undefined): void {
    if (since === this.pausedSince) return;
    this.pausedSince = since;
    this.schedule();
    void this.flush();
  }

  /** Every slot key, for pruning. */
  slotKeys(): string[] {
    return [...this.slotEntries.keys()];
  }

  delete(id: string): void {
    if (this.entries.delete(id)) this.schedule();
  }

  /** Drops every container not in `ids` (removed while healer was not running); returns how many. */
  retain(ids: ReadonlySet<string>): number {
    let dropped = 0;
    for (const id of [...this.entries.keys()]) if (!ids.has(id) && this.entries.delete(id)) dropped++;
    if (dropped > 0) this.schedule();
    return dropped;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Starts writing pending changes now and resolves when they are on disk (false, logged, if the write
   * failed). healer calls it as it requests a restart, start or stop (without waiting: an fsync must not
   * hold up the restart) and on shutdown (waiting). Writes never overlap: each waits for the one before.
   */
  flush(): Promise<boolean> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dirty) return this.chain;
    this.dirty = false;
    this.lastWriteAt = performance.now();
    // The snapshot is taken now, so later changes wait for the next write.
    const containers = Object.fromEntries([...this.entries].map(([id, { savedAt: _loaded, ...c }]) => [id, c]));
    const slots = this.slotEntries.size > 0 ? { slots: Object.fromEntries(this.slotEntries) } : {};
    const breaker = this.pausedSince !== undefined ? { breaker: { pausedSince: this.pausedSince } } : {};
    const text = JSON.stringify({ version: 1, savedAt: this.now(), ...slots, ...breaker, containers });
    this.chain = this.chain.then(() => this.write(text));
    return this.chain;
  }

  /** Resolves when every write started so far is done. */
  idle(): Promise<boolean> {
    return this.chain;
  }

  /**
   * At most one write per WRITE_GAP_MS: with thousands of containers a write per change (each one the
   * whole file, fsynced) would cost more than all the probes. A change waits at most that long.
   */
  private schedule(): void {
    this.dirty = true;
    if (this.timer) return;
    const wait = Math.max(0, this.lastWriteAt + WRITE_GAP_MS - performance.now());
    this.timer = setTimeout(() => void this.flush(), wait);
    this.timer.unref();
  }

  private async write(text: string): Promise<boolean> {
    try {
      await writeAtomic(this.path, text);
      this.writes++;
      return true;
    } catch (err) {
      this.log.error({ path: this.path, err: (err as Error).message }, 'cannot write the state file; restart history may be lost on restart');
      return false;
    }
  }
}
