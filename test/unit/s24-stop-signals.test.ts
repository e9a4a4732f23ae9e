import { describe, expect, it } from 'vitest';
import { isStopSignal } from '../../src/docker/signals.ts';
import type { ContainerEvent } from '../../src/docker/types.ts';
import { EventReader } from '../../src/watchdog/event-reader.ts';

// Session 24: which `kill` events start an operator's stop (src/docker/signals.ts isStopSignal).
//
// Trigger (fails on main): `docker stop --signal SIGINT` (Docker 23+; events `kill` signal "2", then
// `die`, `stop`), `docker kill -s INT` (Ctrl-C style) or `docker kill -s QUIT` (nginx's graceful stop) of
// an app that closes its listener and drains before it exits. On main only SIGKILL, SIGTERM and the
// container's StopSignal held healer's decisions: the drain's failing probes counted and healer restarted
// the container in the middle of the operator's stop. Reload signals (HUP, USR1) stay no stop.
const ev = (action: string, extra: Partial<ContainerEvent> = {}): ContainerEvent => ({
  id: 'c1', name: 'web', action, health: undefined, exitCode: undefined, signal: undefined, labels: {}, time: 0, ...extra,
});

describe('isStopSignal', () => {
  it.each([
    ['9', undefined, true],
    ['15', undefined, true],
    ['2', undefined, true], // docker stop --signal SIGINT
    ['SIGINT', undefined, true],
    ['3', undefined, true], // docker kill -s QUIT: nginx's graceful stop
    ['15', 'SIGQUIT', true], // TERM to nginx is its fast shutdown
    ['3', 'SIGQUIT', true], // docker stop of an nginx-style container
    ['28', 'SIGWINCH', true], // docker stop of httpd's official image
    ['37', 'SIGRTMIN+3', true], // systemd images
    ['1', undefined, false], // docker kill -s HUP: a reload
    ['1', 'SIGQUIT', false],
    ['10', undefined, false], // USR1: reopen logs
    ['12', '15', false], // USR2
    ['28', undefined, false], // WINCH when it is not the StopSignal
    [undefined, undefined, true], // a kill whose signal the engine does not say (Podman)
  ])('signal %s, StopSignal %s → %s', (signal, stopSignal, stops) => expect(isStopSignal(signal, stopSignal)).toBe(stops));
});

describe('the event reader holds decisions during a stop by an ending signal', () => {
  it('docker stop --signal SIGINT: under way from its kill to its exit, which is the operator\'s', () => {
    const r = new EventReader();
    r.read(ev('kill', { signal: '2' }), 1000, undefined, 10_000);
    expect(r.stopSignalled(1000 + 20_000)).toBe(true);
    expect(r.read(ev('die', { exitCode: 0 }), 1000 + 25_000, undefined, 10_000)).toMatchObject({ type: 'stopped', by: 'operator' });
  });

  it('docker kill -s QUIT of a container whose StopSignal is SIGTERM: under way', () => {
    const r = new EventReader();
    r.read(ev('kill', { signal: '3' }), 1000, undefined, 10_000);
    expect(r.stopSignalled(1000 + 5_000)).toBe(true);
  });

  it('a HUP reload holds nothing, and a crash after it is a crash (also for an nginx-style SIGQUIT container)', () => {
    const r = new EventReader();
    r.read(ev('kill', { signal: '1' }), 1000, 'SIGQUIT', 10_000);
    expect(r.stopSignalled(1000 + 1)).toBe(false);
    expect(r.read(ev('die', { exitCode: 1 }), 2000, 'SIGQUIT', 10_000)).toMatchObject({ type: 'stopped', by: 'exit', exitCode: 1 });
  });
});
