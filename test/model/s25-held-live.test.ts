import { afterEach, describe, expect, it } from 'vitest';
import type { AlertInput } from '../../src/alerting/alerter.ts';
import { World } from './harness.ts';
import { LIVE_ON_EXIT } from './restart-faults.ts';

// Session 25: `held` of a container WITH a liveness probe. Trigger: a restart.on_exit container with a
// liveness probe that passes depends on `db`; it crashes (its probe passing until then) while db fails,
// so its start is held (`held` alerted). db recovers, healer starts it and its probe passes: no
// `recovered` came (with a liveness probe only a failing-then-passing probe sent one), so
// HealerRestartHeld stayed firing for ever and webhooks never heard the end. Across a healer restart
// (killed while it held the start) the same.

const worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.dispose();
});

const of = (w: World, name: string, event: string, from = 0): AlertInput[] => w.alerts.slice(from).filter((a) => a.container?.name === name && a.event === event);


describe('s25: a held start of a container with a liveness probe is ended by recovered', () => {
  it.each([false, true])('healer restarted while it held the start: %s', async (restart) => {
    const w = await World.create();
    worlds.push(w);
    const db = w.run('db', 'live', 'ok');
    const worker = w.engine.create('worker', { ...LIVE_ON_EXIT, 'healer.depends_on': 'db' }, { restartPolicy: 'no', app: 'ok' });
    w.engine.startNow(worker);
    await w.advance(5_000);
    w.engine.setApp(db, 'hang');
    await w.advance(1_500); // db's first failed probe: failing, for its dependents
    w.engine.crash(worker, 3);
    for (let i = 0; i < 100 && of(w, 'worker', 'held').length === 0; i++) await w.advance(100);
    expect(of(w, 'worker', 'held')).toHaveLength(1);
    expect(worker.running).toBe(false);
    if (restart) {
      await w.state.flush();
      await w.killHealer();
      await w.startHealer();
    }
    w.engine.setApp(db, 'ok');
    await w.advance(60_000);
    expect(worker.running).toBe(true);
    expect(of(w, 'worker', 'recovered')).toHaveLength(1);
    expect(of(w, 'worker', 'unhealthy')).toHaveLength(0);
  }, 60_000);
});
