import type { ContainerEvent, ContainerInfo } from '../docker/types.ts';

/** More is noise (health checks of a container that is not watched): its first inspect comes first. */
const MAX_HELD = 64;

/**
 * Events about a container whose first inspect is still out. The inspect and the event stream come
 * over two connections, so a crash right after a start can be read before the inspect's "running":
 * dropped, the watch made from that answer would believe the container runs (an `on_exit` container
 * would stay down). Held here, what the answer does not already show is handed to the new watch.
 */
export class EarlyEvents {
  private readonly held = new Map<string, ContainerEvent[]>();

  /** Keeps an event of a container being inspected for the first time. */
  hold(ev: ContainerEvent): void {
    const list = this.held.get(ev.id) ?? [];
    if (list.length >= MAX_HELD) list.shift();
    list.push(ev);
    this.held.set(ev.id, list);
  }

  /** The events held for `id` that happened after the state `info` shows (the rest are let go). */
  take(id: string, info: ContainerInfo | undefined): ContainerEvent[] {
    const list = this.held.get(id) ?? [];
    this.held.delete(id);
    return info ? after(info, list) : [];
  }

  /** Lets go of what is held for `id` (it was removed, or its inspect made no watch). */
  drop(id: string): void {
    this.held.delete(id);
  }
}

/**
 * The events the inspect data does not show yet. Running: what came after the run it shows began (its
 * own `start`, and anything of earlier runs, are in the answer). Down: what came after its next start
 * (the exit the answer shows, and the events leading to it, are already in it).
 */
export function after(info: Pick<ContainerInfo, 'running' | 'startedAt' | 'finishedAt'>, events: readonly ContainerEvent[]): ContainerEvent[] {
  if (info.running) {
    const later = events.filter((ev) => ev.time >= info.startedAt);
    const first = later.findIndex((ev) => ev.action !== 'start');
    return first < 0 ? [] : later.slice(first);
  }
  const next = events.findIndex((ev) => ev.action === 'start' && ev.time > info.finishedAt);
  return next < 0 ? [] : events.slice(next);
}
