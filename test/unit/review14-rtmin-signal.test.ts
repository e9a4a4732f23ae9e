import { describe, expect, it } from 'vitest';
import type { ContainerEvent } from '../../src/docker/types.ts';
import { signalNumber } from '../../src/docker/signals.ts';
import { EventReader } from '../../src/watchdog/event-reader.ts';

// Fourteenth adversarial review. Fails on the reviewed code.
//
// Trigger: a container whose StopSignal is a real-time signal (`STOPSIGNAL SIGRTMIN+3`, what systemd in
// a container shuts down on; Docker also accepts `RTMIN+3`), stopped by `docker stop`. Docker's kill
// event names the signal by number: `signal: "37"` (moby numbers SIGRTMIN as 34).
// What happens: signalNumber() looks names up in Node's os.constants.signals, which has no real-time
// signals, so the container's StopSignal reads as undefined and the kill of 37 is not the stop signal:
// no stop is under way (stopSignalled false), a drain's failing probes count, a restart decided
// meanwhile goes ahead (see test/e2e/review14-rtmin-stop.test.ts on the real engine).
// What should happen: SIGRTMIN+n / RTMIN+n / SIGRTMAX-n read as Linux numbers them in Docker
// (SIGRTMIN = 34, SIGRTMAX = 64), so the kill is the stop signal it is.
const ev = (action: string, extra: Partial<ContainerEvent> = {}): ContainerEvent => ({
  id: 'c1', name: 'sd', action, health: undefined, exitCode: undefined, signal: undefined, labels: {}, time: 0, ...extra,
});

describe('review14: a real-time StopSignal', () => {
  it('SIGRTMIN+3 and RTMIN+3 read as 37, as Docker numbers them in its kill event', () => {
    expect(signalNumber('SIGRTMIN+3')).toBe(37);
    expect(signalNumber('RTMIN+3')).toBe(37);
  });

  it("a `docker stop` kill (signal 37) of a container whose StopSignal is SIGRTMIN+3 is a stop under way", () => {
    const r = new EventReader();
    r.read(ev('kill', { signal: '37' }), 1000, 'SIGRTMIN+3');
    expect(r.stopSignalled(1500)).toBe(true);
  });
});
