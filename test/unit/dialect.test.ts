import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EventNormaliser, HOLD_MS, engineKind, eventFilter, type Timers } from '../../src/docker/dialect.ts';
import { FOLLOWED_ACTIONS, parseEvent } from '../../src/docker/engine.ts';
import type { ContainerEvent } from '../../src/docker/types.ts';

/** Timers on a virtual clock, advanced to each replayed event's engine time. */
class VirtualTimers implements Timers {
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

const fixture = (name: string): string[] => readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8').split('\n').filter((l) => l !== '');

/** Replays recorded lines through the real parser and normaliser, as the event stream does. */
function replay(kind: 'docker' | 'podman', lines: readonly string[]): ContainerEvent[] {
  const out: ContainerEvent[] = [];
  const timers = new VirtualTimers();
  const n = new EventNormaliser(kind, (e) => out.push(e), timers);
  const followed = new Set<string>(FOLLOWED_ACTIONS);
  for (const line of lines) {
    const ev = parseEvent(line);
    if (!ev || !followed.has(ev.action)) continue; // what the engine's filter leaves out
    timers.advance(ev.time);
    n.push(ev);
  }
  timers.advance(Number.MAX_SAFE_INTEGER);
  return out;
}

const brief = (e: ContainerEvent): string =>
  [e.action, e.health, e.exitCode, e.action === 'kill' ? (e.signal ?? 'no signal') : undefined].filter((x) => x !== undefined).join(' ');

describe('Podman 4.3, recorded here, reads as Docker', () => {
  it('stop, API restart, API stop, kill, pause, rename and rm -f of one container', () => {
    expect(replay('podman', fixture('podman-4.3-lifecycle.jsonl')).map(brief)).toEqual([
      'start',
      'health_status starting',
      'health_status healthy', // three identical checks, one event
      // podman stop -t 2 (stop, die): an operator stop as Docker tells it
      'kill SIGTERM',
      'die 137',
      'stop',
      'start',
      // API restart (restart, die, start): the restart closes the sequence
      'kill SIGTERM',
      'die 137',
      'start',
      'restart',
      // API stop
      'kill SIGTERM',
      'die 137',
      'stop',
      'start',
      // podman kill: the kill stopped it
      'kill SIGKILL',
      'die 137',
      'start',
      // API kill with SIGTERM the process ignores: no exit follows
      'kill no signal',
      'pause',
      'unpause',
      'rename',
      // podman rm -f (die, remove, no stop or kill)
      'kill SIGTERM',
      'die 137',
      'destroy',
    ]);
  });

  it('a crash (exit 3) stays a crash; `died`-filtered stream with health and restarts of three containers', () => {
    const byName = new Map<string, string[]>();
    for (const e of replay('podman', fixture('podman-4.3-filtered.jsonl'))) byName.set(e.name, [...(byName.get(e.name) ?? []), brief(e)]);
    expect(Object.fromEntries(byName)).toEqual({
      pm2: ['start', 'die 3', 'destroy'], // exit 3 on its own: a crash, no kill put before it
      pm3: ['start', 'health_status starting', 'health_status healthy', 'kill SIGTERM', 'die 137', 'stop', 'destroy'],
      pm4: ['start', 'kill SIGTERM', 'die 0', 'start', 'restart', 'kill SIGTERM', 'die 0', 'destroy'],
    });
  });

  it('a die followed by a stop within the hold (another client synced first) is still an operator stop', () => {
    const at = (action: string, t: number, exitCode?: number) =>
      JSON.stringify({ Type: 'container', Action: action, Actor: { ID: 'c1', Attributes: { name: 'c', ...(exitCode !== undefined ? { exitCode: String(exitCode) } : {}) } }, timeNano: t * 1e6 });
    expect(replay('podman', [at('die', 1000, 143), at('stop', 1040)]).map(brief)).toEqual(['kill SIGTERM', 'die 143', 'stop']);
    // and a die nothing follows is released after the hold as a plain exit
    const out = replay('podman', [at('die', 1000, 1), at('start', 1000 + HOLD_MS + 500)]);
    expect(out.map(brief)).toEqual(['die 1', 'start']);
    // podman stop of an app that exits on SIGTERM: no stop event at all (recorded in podman-4.3-stop-sigterm.jsonl)
    expect(replay('podman', [at('die', 1000, 143)]).map(brief)).toEqual(['kill SIGTERM', 'die 143']);
    // podman stop ending in SIGKILL without its stop event (seen here), and the kernel's OOM kill
    expect(replay('podman', [at('die', 1000, 137)]).map(brief)).toEqual(['kill SIGTERM', 'die 137']);
    expect(replay('podman', [at('oom', 990), at('die', 1000, 137)]).map(brief)).toEqual(['oom', 'die 137']);
  });
});

describe('podman stop of a container that exits on SIGTERM, recorded here', () => {
  it('leaves only a die: exit 7 (the app chose it) stays an exit, as nothing tells it apart', () => {
    expect(replay('podman', fixture('podman-4.3-stop-sigterm.jsonl')).map(brief)).toEqual(['start', 'die 7', 'start', 'die 7', 'destroy']);
  });
});

describe('Docker', () => {
  const ev = (action: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ Type: 'container', Action: action, Actor: { ID: 'd1', Attributes: { name: 'web', ...extra } }, time: 1, ...extra });

  it('passes events through in order, without holding, and drops repeated health states', () => {
    const lines = [ev('start'), ev('health_status: healthy'), ev('health_status: healthy'), ev('health_status: unhealthy'), ev('kill', { signal: '15' }), ev('die', { exitCode: '0' }), ev('stop'), ev('start'), ev('health_status: unhealthy')];
    expect(replay('docker', lines).map(brief)).toEqual(['start', 'health_status healthy', 'health_status unhealthy', 'kill 15', 'die 0', 'stop', 'start', 'health_status unhealthy']);
  });

  it('recognises the engine from /version or the ping headers', () => {
    const docker = { Version: '20.10.24+dfsg1', ApiVersion: '1.41', Components: [{ Name: 'Engine', Version: '20.10.24+dfsg1' }] };
    const podman = { Version: '4.3.1', ApiVersion: '1.41', Components: [{ Name: 'Podman Engine', Version: '4.3.1' }] };
    expect(engineKind(docker)).toBe('docker');
    expect(engineKind(podman)).toBe('podman');
    expect(engineKind({ Version: '4.3.1' }, { 'Libpod-Api-Version': '4.3.1' })).toBe('podman');
    expect(eventFilter('podman', ['die', 'destroy'])).toEqual(['die', 'destroy', 'died', 'remove']);
    expect(eventFilter('docker', ['die', 'destroy'])).toEqual(['die', 'destroy']);
  });
});
