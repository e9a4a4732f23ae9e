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
import { describe, expect, it } from 'vitest';
import { hangApi, noAnswer, onRestart, stopHalf } from '../model/restart-faults.ts';
import { worldsPerTest } from '../model/worlds.ts';

const world = worldsPerTest();

describe('review 15: a restart cut by healer\'s death, completed by the next healer', () => {
  it('counts once towards the crash loop', async () => {
    const w = await world();
    const restarts = await onRestart(w, ({ c, n, send }) => {
      if (n !== 5) return send();
      stopHalf(w, c);
      return noAnswer();
    });
    const c = await hangApi(w, restarts, 5, 1200);
    expect(restarts(), 'the 5th restart sent; its stop half ran').toBe(5);
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
