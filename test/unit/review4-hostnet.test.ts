import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import type { Prober, ProbeTarget } from '../../src/probes/types.ts';
import { systemClock } from '../../src/watchdog/clock.ts';
import { StateFile } from '../../src/watchdog/state-file.ts';
import { Watchdog } from '../../src/watchdog/watchdog.ts';
import { fakeEngine, syntheticContainer } from '../helpers/fake-engine.ts';

// Review 4 (issue 14 rule 1, d4db18d). A host-network container's own addresses are loopback, but only
// from the host's network namespace. healer in a container on a bridge network has a loopback of its
// own: for the empty host this is a configuration problem ("healer on a bridge network cannot reach
// 127.0.0.1", inconclusive), but a pinned name that resolves to loopback from healer's container
// (Docker's /etc/hosts there has `::1 localhost ip6-localhost ip6-loopback`) is judged "its own" and
// probed at healer's own loopback: connection refused, a failure, and the healthy container restarted.

describe('review 4: a pinned name on a host-network container, healer on a bridge network', () => {
  let dir = '';
  let wd: Watchdog | undefined;
  afterEach(async () => {
    await wd?.stop(1000);
    rmSync(dir, { recursive: true, force: true });
  });

  it('is never probed at healer’s own loopback (inconclusive, as the empty host is), and never restarted', async () => {
    dir = mkdtempSync(`${tmpdir()}/healer-review4-`);
    const labels = { 'healer.enable': 'true', 'healer.liveness': 'http://ip6-localhost:8080/health', 'healer.liveness.interval': '100ms', 'healer.liveness.timeout': '100ms', 'healer.liveness.failures': '1' };
    const app = { ...syntheticContainer(1, labels), name: 'app', networkMode: 'host' };
    const { engine, restarts } = fakeEngine([app]);
    const sent: ProbeTarget[] = [];
    // What healer's own loopback answers on 8080: nothing listens there.
    const refused: Prober = { run: (_p, target) => (sent.push(target), Promise.resolve({ ok: false, latencyMs: 1, error: 'ECONNREFUSED: connect ECONNREFUSED ::1:8080' })) };
    const log = pino({ level: 'silent' });
    const state = new StateFile(`${dir}/state.json`, log);
    wd = new Watchdog({
      engine,
      loaded: loadConfig(undefined, {}),
      log,
      clock: systemClock,
      probers: { http: refused, tcp: refused, exec: refused },
      self: { ids: [], hostname: 'healer' },
      selfNetwork: { inContainer: true, hostNetwork: false, networks: ['shop_default'] },
      state,
      alerter: { emit: () => undefined, containerGone: () => undefined },
      lookup: (name) => Promise.resolve(name === 'ip6-localhost' ? ['::1'] : []),
    });
    await wd.start();
    await new Promise((r) => setTimeout(r, 700));
    expect(sent.map((t) => t.connectTo)).toEqual([]); // on d4db18d: ['::1', '::1', ...]
    expect(restarts).toEqual([]); // on d4db18d: the healthy container restarted
  });
});
