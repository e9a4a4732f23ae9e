// Review 15: the start owed by a restart healer was killed in the middle of is counted as one more
// restart: the restart was counted (window, backoff) when it was decided and saved so, and the next
// healer's owed start is decided, and counted, again.
// Trigger: a container failing its liveness probe, restarted by healer 4 times (crashloop.restarts 5,
//   window 10m: no loop yet); during the 5th restart healer is SIGKILLed between the stop and start
//   halves (an OOM kill of healer, a node agent restarting it); the next healer carries out the owed start.
// Observed: 6 restarts in the window (5 decided + the owed start of the 5th), so a crash loop opens and
//   `crashloop` is alerted ("6 restarts within 600s (limit 5)") though the container was restarted 5
//   times: the cut restart's two halves count as two restarts. (With crashloop.action=giveup the owed
//   start itself is refused as the 6th: the container healer's own stop took down is left down.)
// Expected: the owed start completes the restart already counted: 5 restarts, no crash loop, no alert.
//   Control: the same run with healer not killed (5 restarts made) alerts no crash loop.
import { afterEach, describe, expect, it } from 'vitest';
import { World } from '../model/harness.ts';

const worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.dispose();
});

type Eng = { emit(c: unknown, action: string, attrs?: Record<string, string>): void; down(c: unknown, code: number): void };

describe('review 15: a restart cut by healer\'s death, completed by the next healer', () => {
  it('counts once towards the crash loop', async () => {
    const w = await World.create();
    worlds.push(w);
    await w.killHealer();
    let restarts = 0;
    w.patchEngine((engine) => {
      const original = engine.restart.bind(engine);
      engine.restart = (id: string, timeoutMs: number) => {
        restarts++;
        if (restarts !== 5) return original(id, timeoutMs);
        const c = w.engine.containers.get(id);
        if (!c) throw new Error('no such container');
        const eng = w.engine as unknown as Eng;
        eng.emit(c, 'kill', { signal: '15' });
        eng.down(c, 143);
        eng.emit(c, 'stop');
        return new Promise<void>(() => undefined);
      };
    });
    await w.startHealer();
    const c = w.run('api', 'live', 'ok');
    await w.clock.advance(3_000, () => w.settle());
    w.engine.setApp(c, 'hang');
    for (let i = 0; i < 1200 && restarts < 5; i++) await w.clock.advance(100, () => w.settle());
    expect(restarts, 'the 5th restart sent; its stop half ran').toBe(5);
    expect(c.running).toBe(false);
    await w.killHealer();
    w.engine.setApp(c, 'ok'); // the next run is healthy: no further restart
    await w.clock.advance(2_000, () => w.settle());
    await w.startHealer();
    await w.clock.advance(40_000, () => w.settle());
    expect(c.running, 'the owed start carried out').toBe(true);
    const starts = w.engine.actions.filter((a) => a.id === c.id && a.kind === 'start').length;
    expect(starts).toBe(1);
    expect(w.alerts.filter((a) => a.container?.id === c.id && a.event === 'crashloop').map((a) => a.reason), '5 restarts made: no crash loop').toEqual([]);
  }, 60_000);
});
