import { describe, expect, it } from 'vitest';
import { engineKind, eventFilter } from '../../src/docker/dialect.ts';
import { parseEvent } from '../../src/docker/engine.ts';
import { EventNormaliser, HOLD_MS, SECOND_CLEANUP_MS } from '../../src/docker/event-normaliser.ts';
import type { ContainerEvent } from '../../src/docker/types.ts';
import { fixture, replay, VirtualTimers } from '../helpers/replay-events.ts';

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
  it('leaves only a die (exit 7, the app chose it) and two cleanups: an operator stop, whatever the code', () => {
    expect(replay('podman', fixture('podman-4.3-stop-sigterm.jsonl')).map(brief)).toEqual(['start', 'kill SIGTERM', 'die 7', 'start', 'kill SIGTERM', 'die 7', 'destroy']);
  });
});

describe("Podman's cleanup events tell a stop from an exit (measured on 4.3: a stop leaves two, an exit one)", () => {
  const at = (action: string, t: number, exitCode?: number) =>
    JSON.stringify({ Type: 'container', Action: action, Actor: { ID: 'c1', Attributes: { name: 'c', ...(exitCode !== undefined ? { exitCode: String(exitCode) } : {}) } }, timeNano: t * 1e6 });

  it.each([
    ['a SIGKILL from outside the engine (die 137, one cleanup): an exit, as on Docker', 137, 1, ['die 137']],
    ['an app that exits 143 on a SIGTERM from outside the engine: an exit', 143, 1, ['die 143']],
    ['a stop that needed SIGKILL (die 137, two cleanups): a stop', 137, 2, ['kill SIGTERM', 'die 137']],
    ['a stop of an app that exits 1 on SIGTERM: a stop', 1, 2, ['kill SIGTERM', 'die 1']],
    ['a crash (die 3, one cleanup): an exit', 3, 1, ['die 3']],
  ])('%s', (_, code, cleanups, read) => {
    const lines = [at('die', 1000, code), ...Array.from({ length: cleanups }, (_x, i) => at('cleanup', 1010 + 60 * i))];
    expect(replay('podman', lines).map(brief)).toEqual(read);
  });

  // The second cleanup is conmon's, a process of its own: on a slow host it may come after HOLD_MS, and a
  // stop taken for an exit would be restarted by healer.
  it('a stop whose second cleanup comes seconds late is still a stop; an exit is told at SECOND_CLEANUP_MS', () => {
    const late = replay('podman', [at('die', 1000, 0), at('cleanup', 1010), at('cleanup', 4000), at('start', 9000)]);
    expect(late.map((e) => `${brief(e)} @${e.time}`)).toEqual(['kill SIGTERM @1000', 'die 0 @1000', 'start @9000']);
    const out: string[] = [];
    const timers = new VirtualTimers();
    const n = new EventNormaliser('podman', (e) => out.push(`${brief(e)} @${timers.now}`), timers);
    for (const line of [at('die', 1000, 3), at('cleanup', 1100)]) {
      const ev = parseEvent(line);
      if (!ev) throw new Error(line);
      timers.advance(ev.time);
      n.push(ev);
    }
    timers.advance(1000 + SECOND_CLEANUP_MS - 1);
    expect(out).toEqual([]);
    timers.advance(1000 + SECOND_CLEANUP_MS);
    expect(out).toEqual([`die 3 @${1000 + SECOND_CLEANUP_MS}`]);
  });

  it('a stop is passed on at its second cleanup, not after the hold; cleanups themselves are never passed on', () => {
    const out = replay('podman', [at('die', 1000, 137), at('cleanup', 1010), at('cleanup', 1050), at('start', 1100)]);
    expect(out.map((e) => `${brief(e)} @${e.time}`)).toEqual(['kill SIGTERM @1000', 'die 137 @1000', 'start @1100']);
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
    expect(eventFilter('podman', ['die', 'destroy'])).toEqual(['die', 'destroy', 'died', 'remove', 'cleanup']);
    expect(eventFilter('docker', ['die', 'destroy'])).toEqual(['die', 'destroy']);
  });
});
