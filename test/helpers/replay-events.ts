import { readFileSync } from 'node:fs';
import { canonicalAction, eventFilter } from '../../src/docker/dialect.ts';
import { EventNormaliser, type Timers } from '../../src/docker/event-normaliser.ts';
import { FOLLOWED_ACTIONS, parseEvent } from '../../src/docker/engine.ts';
import type { ContainerEvent } from '../../src/docker/types.ts';

/** Timers on a virtual clock, advanced to each replayed event's engine time. */
export class VirtualTimers implements Timers {
  now = 0;
  private next = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  set(fn: () => void, ms: number): unknown {
    const h = ++this.next;
    this.pending.set(h, { at: this.now + ms, fn });
    return h;
  }
  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  advance(to: number): void {
    for (;;) {
      const due = [...this.pending.entries()].filter(([, t]) => t.at <= to).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = to;
  }
}

/** The lines of a recorded event stream in test/fixtures/events/. */
export const fixture = (name: string): string[] => readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8').split('\n').filter((l) => l !== '');

/** Replays recorded lines through the real parser and normaliser, as the event stream does. */
export function replay(kind: 'docker' | 'podman', lines: readonly string[]): ContainerEvent[] {
  const out: ContainerEvent[] = [];
  const timers = new VirtualTimers();
  const n = new EventNormaliser(kind, (e) => out.push(e), timers);
  // What healer asks the engine for (Podman's own names among them), in Docker's names as parsed.
  const followed = new Set<string>(eventFilter(kind, FOLLOWED_ACTIONS).map(canonicalAction));
  for (const line of lines) {
    const ev = parseEvent(line);
    if (!ev || !followed.has(ev.action)) continue; // what the engine's filter leaves out
    timers.advance(ev.time);
    n.push(ev);
  }
  timers.advance(Number.MAX_SAFE_INTEGER);
  return out;
}

