import { describe, expect, it } from 'vitest';
import { unhealthyNotifyApi, worldsPerTest } from '../model/worlds.ts';
import { RESOLVES, type AlertEvent } from '../../src/alerting/types.ts';

// Review 14 (adversarial review of alerting), on the model's in-memory engine with the real Watchdog.
// Trigger: a container with healer.action=notify (alert only) fails its liveness probe: `unhealthy` is
//   alerted (Alertmanager: HealerContainerUnhealthy fires and is re-sent every minute while open). The
//   on-call engineer takes it out of service: `docker stop` / `docker compose stop api` (the container
//   stays, stopped; healer never starts an operator-stopped container).
// What happens: healer sees the operator's stop (state `stopped`) but emits nothing that ends the open
//   condition: no event in RESOLVES['unhealthy'] follows, so the Alertmanager channel keeps re-sending
//   "api is unhealthy" every minute for as long as the container stays stopped (days, for a container
//   parked on purpose), and chat channels never hear that the incident was handled.
// What should happen: the operator's stop ends what healer had open for the container (the resolve of
//   `unhealthy`, as a removal does through forget()), or at least the open condition is not kept firing.
// Fix's reading (README, Alerts): the stop ends the container's open alerts in the channels that keep
//   them open (Alerter.containerStopped: Alertmanager resolves them), without a new chat message (no
//   `recovered`: it did not recover; the operator's own stop pages no one). So the test accepts that end
//   as well as a resolving alert, and also checks the other half: started again and still failing, the
//   container fires `unhealthy` anew (an ended condition must not leave it silently failing).
const world = worldsPerTest();

describe('review14: an operator stops a container whose unhealthy alert is open', () => {
  it('the open unhealthy condition is ended', async () => {
    const w = await world();
    const c = await unhealthyNotifyApi(w);
    const events = () => w.alerts.filter((a) => a.container?.id === c.id).map((a) => a.event);
    expect(events()).toContain('unhealthy');
    const opened = events().length;

    // The operator takes it out of service.
    w.engine.stopNow(c);
    c.operatorStopped = true;
    await w.clock.advance(10_000, () => w.settle());
    expect(w.wd.watches.get(c.id)?.state.lifecycle).toBe('stopped');
    const resolvers = (Object.entries(RESOLVES) as [AlertEvent, readonly AlertEvent[]][]).filter(([, opens]) => opens.includes('unhealthy')).map(([e]) => e);
    const ended = events().slice(opened).some((e) => resolvers.includes(e)) || w.stopsEnded.includes(c.id);
    expect(ended).toBe(true);

    // The operator starts it again, and it still fails: the condition fires anew.
    const before = events().length;
    w.engine.startNow(c);
    await w.clock.advance(5_000, () => w.settle());
    expect(events().slice(before)).toContain('unhealthy');
  }, 30_000);
});
