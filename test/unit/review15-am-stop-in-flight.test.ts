import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { firedAfterInFlight, unhealthyOf } from '../helpers/slow-alertmanager.ts';

// Review 15 (adversarial review of the operator-stop ending, 6c4c56d: Notifier.end).
// Trigger: a container goes unhealthy; its `unhealthy` is in the Alertmanager channel (being posted,
//   Alertmanager slow to answer, or queued behind other alerts); the operator runs `docker stop` on
//   it meanwhile (Alerter.containerStopped → Channel.end → Notifier.end).
// Observed: end() ends only what is already in `open`; the in-flight `unhealthy` lands in `open` when
//   its answer comes, and the re-send fires HealerContainerUnhealthy for the stopped container every
//   interval, for as long as it stays stopped (forget() guards exactly this case with its `gone` set;
//   end() has nothing alike).
// Expected: after an operator's stop, Alertmanager is not told again that the container is firing
//   (until an alert about it fires anew after the stop).
const dispatcher = new Agent();
afterAll(() => dispatcher.close());

const id = 'a1'.repeat(32);
const unhealthy = unhealthyOf(id);

describe('review15: alertmanager, operator stop while the firing alert is in flight', () => {
  it('the stopped container is not fired by the re-send', async () => {
    const firing = await firedAfterInFlight(dispatcher, 10, async (ch, received) => {
      ch.push(unhealthy);
      await received; // posted, not answered yet
      ch.end(id); // docker stop by the operator
      for (let i = 0; i < 100 && ch.counters.sent < 1; i++) await sleep(20);
      expect(ch.counters.sent).toBe(1);
    });
    expect(firing, 'the stopped container is fired again by the re-send').toEqual([]);
  });
});
