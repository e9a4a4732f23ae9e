import { describe, expect, it } from 'vitest';
import { worldsPerTest } from '../model/worlds.ts';

// Risk 3 of the last review: a one-shot job (a migration, a backup) watched under `discovery.watch: all`
// (or opted in) that exits 0 as it is meant to was alerted as `died`: a page for a job that did its
// work. README (healer.restart.on_exit): clean exits are left alone; a clean exit is logged and kept in
// the history, and not alerted. A non-zero exit still is (the other half, so the test can fail both ways).

const world = worldsPerTest();

describe('risk 3: a clean exit (code 0) of a container without a restart policy', () => {
  it('is not alerted as died; a non-zero exit is', async () => {
    const w = await world();
    const job = w.engine.create('migrate', { 'healer.enable': 'true' }, { restartPolicy: 'no', app: 'ok' });
    const worker = w.engine.create('worker', { 'healer.enable': 'true' }, { restartPolicy: 'no', app: 'ok' });
    w.engine.startNow(job);
    w.engine.startNow(worker);
    await w.clock.advance(2_000, () => w.settle());
    w.alerts.splice(0);
    w.engine.crash(job, 0);
    w.engine.crash(worker, 2);
    await w.clock.advance(2_000, () => w.settle());
    const died = w.alerts.filter((a) => a.event === 'died').map((a) => a.container?.name);
    expect(died).toEqual(['worker']);
    expect(w.wd.watches.get(job.id)?.state.lifecycle, 'its exit is still seen').toBe('exited');
  }, 30_000);
});
