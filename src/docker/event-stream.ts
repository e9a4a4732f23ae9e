import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { EventNormaliser, realTimers, type Timers } from './event-normaliser.ts';
import { parseEvent, type Engine } from './engine.ts';
import { StallCheck, type StallOptions } from './stall-check.ts';
import type { Missed } from './stream-audit.ts';
import type { ContainerEvent } from './types.ts';

export type { StallOptions };

/** No engine event is anywhere near this long; a line that is gets dropped rather than buffered forever. */
const MAX_LINE = 1 << 20;

/** The reconnect backoff when none is given. */
export const DEFAULT_BACKOFF: Backoff = { initialMs: 250, maxMs: 2_000 };

export interface EventStreamHandlers {
  onEvent(event: ContainerEvent): void;
  /** The stream is open; the receiver resynchronises by listing, since events may have been missed. */
  onConnected(reconnect: boolean): Promise<void> | void;
  onDisconnected(error: Error): void;
}

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

/**
 * Follows the engine's container events for as long as it runs. When the stream breaks it reconnects
 * with doubling backoff and tells the receiver to resynchronise; it never replays old events, so nothing
 * is acted on from stale information.
 */
export class EventStream {
  private readonly abort = new AbortController();
  private current: Readable | undefined;
  private loop: Promise<void> | undefined;
  reconnects = 0;
  /** Times the stream was found open but silent (stall-check.ts) and opened anew. */
  stalls = 0;
  /** The current stream is being dropped because it stalled: reconnect at once, no outage. */
  private renewing = false;
  private readonly check: StallCheck | undefined;

  private readonly engine: Engine;
  private readonly handlers: EventStreamHandlers;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private readonly timers: Timers;
  /** Speaks the engine's dialect back in Docker's; made once the engine is known. */
  private normaliser: EventNormaliser | undefined;

  /** `stall`: check the stream against the container list (stall-check.ts); off when not given. */
  constructor(engine: Engine, handlers: EventStreamHandlers, log: Logger, backoff: Backoff = DEFAULT_BACKOFF, timers: Timers = realTimers, stall?: StallOptions) {
    this.engine = engine;
    this.handlers = handlers;
    this.log = log;
    this.backoff = backoff;
    this.timers = timers;
    if (stall) {
      const stalled = (missed: Missed[]): void => this.stalled(missed);
      this.check = new StallCheck({ list: (labels) => engine.listStates(labels), opts: stall, timers, log, stalled });
    }
  }

  /**
   * Resolves once the first connection is made and its onConnected (the first sync) has run, so the
   * caller starts with a complete picture; rejects if the first connection cannot be made.
   */
  async start(): Promise<void> {
    const first = await this.engine.openEvents(undefined);
    const info = await this.engine.describe();
    this.normaliser = new EventNormaliser(
      info.engine,
      (ev) => {
        this.check?.event(ev);
        this.handlers.onEvent(ev);
      },
      this.timers,
    );
    this.log.info({ engine: info.engine, engineVersion: info.version, apiVersion: info.apiVersion }, `following ${info.engine} events (${info.engine === 'podman' ? 'Podman dialect normalised to Docker\'s' : 'Docker dialect'})`);
    let synced!: () => void;
    const ready = new Promise<void>((resolve) => (synced = resolve));
    this.loop = this.run(first, synced);
    await ready;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.check?.stop();
    this.current?.destroy();
    await this.loop;
    this.normaliser?.flush();
  }

  /** `synced` is called after the first onConnected, whether it succeeded or not. */
  private async run(first: Readable, synced: () => void): Promise<void> {
    let stream: Readable | undefined = first;
    let delay = this.backoff.initialMs;
    let reconnect = false;
    while (!this.abort.signal.aborted) {
      try {
        if (!stream) stream = await this.engine.openEvents(undefined);
        this.current = stream;
        delay = this.backoff.initialMs;
        if (reconnect) this.reconnects++;
        try {
          await this.handlers.onConnected(reconnect);
        } finally {
          synced();
        }
        if (!this.abort.signal.aborted) this.check?.connected();
        const reason = await this.pump(stream);
        stream = undefined;
        if (this.abort.signal.aborted) break;
        throw reason;
      } catch (err) {
        stream?.destroy();
        stream = undefined;
        synced();
        this.check?.stop();
        if (this.abort.signal.aborted) break;
        this.tookForStops(this.normaliser?.flush(true) ?? []);
        if (this.renewing) {
          // Dropped for a stall: opened again at once, and the receiver resynchronises as after any loss.
          this.renewing = false;
          reconnect = true;
          continue;
        }
        const error = err instanceof Error ? err : new Error(String(err));
        this.handlers.onDisconnected(error);
        if (reconnect && delay > this.backoff.initialMs) this.log.debug({ err: error.message, retryInMs: delay }, 'reconnect failed; retrying');
        else this.log.warn({ err: error.message, retryInMs: delay }, 'docker event stream lost; reconnecting');
        try {
          await sleep(delay, undefined, { signal: this.abort.signal });
        } catch {
          break;
        }
        delay = Math.min(delay * 2, this.backoff.maxMs);
        reconnect = true;
      }
    }
  }

  /**
   * The list shows changes no event told: the stream is open but silent. Said, counted, and the stream
   * dropped; the reconnect's resync (the receiver's onConnected) handles what was missed as after any loss.
   */
  private stalled(missed: Missed[]): void {
    if (this.abort.signal.aborted || !this.current) return;
    this.stalls++;
    const shown = missed.slice(0, 20).map((m) => ({ container: m.name, id: m.id.slice(0, 12), what: m.what }));
    this.log.warn({ missed: shown, count: missed.length }, 'docker event stream stalled: the container list shows changes no event told; reconnecting and resynchronising');
    this.renewing = true;
    this.current.destroy();
  }

  /** Held Podman exits the lost stream left undecided, taken for stops (event-normaliser.ts): said, since a crash among them is not restarted. */
  private tookForStops(dies: ContainerEvent[]): void {
    for (const d of dies) {
      this.log.warn(
        { container: d.name, id: d.id.slice(0, 12), exitCode: d.exitCode },
        'a container exited just as the event stream was lost, before the events that tell a stop from a crash came: taken for an operator\'s stop, so healer does not start it',
      );
    }
  }

  /** Delivers events until the stream ends; resolves with the reason it ended. */
  private pump(stream: Readable): Promise<Error> {
    return new Promise((resolve) => {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line === '') continue;
          const ev = parseEvent(line);
          if (ev) this.normaliser?.push(ev);
          else if (ev === undefined) this.log.warn({ line: line.slice(0, 200) }, 'ignored an event healer could not read');
        }
        if (buf.length > MAX_LINE) {
          this.log.warn({ bytes: buf.length }, 'ignored an oversized event line');
          buf = '';
        }
      });
      stream.once('error', (e) => resolve(e));
      stream.once('end', () => resolve(new Error('the engine closed the event stream')));
      stream.once('close', () => resolve(new Error('the event stream closed')));
    });
  }
}
