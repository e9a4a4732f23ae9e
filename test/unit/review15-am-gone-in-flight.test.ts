import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { firedAfterInFlight, unhealthyOf } from '../helpers/slow-alertmanager.ts';

// Review 15 (adversarial review of the Alertmanager provider; the `gone` guard predates 7443100, the
// same race as review15-am-stop-in-flight, with no way out).
// Trigger: a container goes unhealthy; its `unhealthy` is being posted to Alertmanager (slow to answer)
//   when the container is removed (docker rm -f, compose down):
//   Channel.forget → Notifier.forget.
// Observed: forget() adds the id to `gone` and ends what is open, but send() checked `gone` before the
//   post, so the in-flight alert is put in `open` when its answer comes; the re-send then fires
//   HealerContainerUnhealthy for a container that no longer exists every interval, FOR EVER: no later
//   alert about that id can come to resolve it (only a restart of healer ends it).
// Expected: once the container is gone, Alertmanager is never again told that it fires.
const dispatcher = new Agent();
afterAll(() => dispatcher.close());

const id = 'b2'.repeat(32);
const unhealthy = unhealthyOf(id);

describe('review15: alertmanager, container removed while its firing alert is in flight', () => {
  it('the removed container is not fired by the re-send', async () => {
    const firing = await firedAfterInFlight(dispatcher, 10, async (ch, received) => {
      ch.push(unhealthy);
      await received; // posted, not answered yet
      ch.forget(id); // docker rm -f: the container is gone
      for (let i = 0; i < 100 && ch.counters.sent < 1; i++) await sleep(20);
      expect(ch.counters.sent).toBe(1);
    });
    expect(firing, 'the removed container is fired again by the re-send').toEqual([]);
  });
});
