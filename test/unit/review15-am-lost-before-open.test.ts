import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerting/types.ts';
import { firedAfterInFlight } from '../helpers/slow-alertmanager.ts';

// Review 15 (adversarial review of Notifier.lost, 26717cb).
// Trigger: an alert storm on the Alertmanager channel: `unhealthy` for a container is being posted
//   (Alertmanager slow, ~300 ms), the channel's queue is full of other containers' alerts, and the
//   container recovers: its `recovered` is dropped ("queue full") and the channel calls lost(recovered).
// Observed: lost() ends only conditions already in the provider's `open` map; the `unhealthy` still in
//   flight is not there yet, so nothing is ended; when its post is answered it is put in `open`, and
//   the once-a-minute re-send fires HealerContainerUnhealthy for the recovered container for as long as
//   healer runs (until it next fails and recovers).
// Expected: a condition whose resolve was lost is not fired again by the re-send once it has ended
//   (the doc comment's own rule: "a condition healer knows has ended is never fired again").
const dispatcher = new Agent();
afterAll(() => dispatcher.close());

const base = {
  host: 'box1',
  container: { id: 'e'.repeat(64), name: 'shop-api-1', image: 'shop/api:1.4', project: 'shop', service: 'api' },
} as const;
const unhealthy: Alert = { ...base, event: 'unhealthy', severity: 'warning', summary: 'api is unhealthy', reason: '3 failed probes', at: '2026-11-24T04:00:00.000Z' };
const recovered: Alert = { ...base, event: 'recovered', severity: 'info', summary: 'api recovered', reason: 'probe passes again', recoveryMs: 12_000, at: '2026-11-24T04:00:30.000Z' };
// The filler is the same container's (restarted, then recovered): since review 14 a full queue makes
// room from the container with most alerts queued, so another container's filler would be dropped
// instead of the `recovered` and the test would not reach lost() (fix helper, review 15).
const other: Alert = { ...base, event: 'restarted', severity: 'warning', summary: 'api restarted', reason: 'unhealthy', at: '2026-11-24T04:00:10.000Z' };

describe('review15: alertmanager, a resolve dropped while its firing alert is in flight', () => {
  it('the recovered container is not fired again by the re-send', async () => {
    const firing = await firedAfterInFlight(dispatcher, 1, async (ch, received) => {
      ch.push(unhealthy); // taken off the queue and posted (slow answer)
      await received;
      ch.push(other); // fills the queue (size 1) with the same container's alert
      ch.push(recovered); // queue full: dropped, lost(recovered)
      expect(ch.counters.dropped).toBe(1);
      for (let i = 0; i < 100 && ch.counters.sent < 2; i++) await sleep(20);
      expect(ch.counters.sent).toBe(2);
    });
    expect(firing, 'the recovered container is fired again by the re-send').toEqual([]);
  });
});
