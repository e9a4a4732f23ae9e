import { describe, expect, it } from 'vitest';
import { AmConditions, type AmAlert } from '../../src/alerting/providers/am-conditions.ts';
import type { Alert } from '../../src/alerting/types.ts';

// Fix for review 16 (a first firing alert dropped by a full queue is now recorded by lostFiring): with no
// record to compare against, a lost firing alert must still not re-open a condition a LATER event ended
// and Alertmanager settled (its record dropped), nor one whose firing Alertmanager refused for good.
const alert = (event: Alert['event']): Alert => ({ host: 'box1', event, severity: 'info', summary: event, reason: 'r', at: '2026-11-24T05:00:00.000Z' });
const body: AmAlert = { labels: { alertname: 'HealerContainerUnhealthy' }, annotations: {}, startsAt: '2026-11-24T05:00:00.000Z' };
const lose = (c: AmConditions, k: string, seq: number) => {
  if (!c.superseded(k, seq, 'c1')) c.lostFiring(k, seq, 'c1', () => body);
};

describe('AmConditions: a lost firing alert with no record', () => {
  it('is recorded as firing when nothing later spoke for its condition', () => {
    const c = new AmConditions();
    lose(c, 'k', c.stamp(alert('unhealthy')));
    expect(c.pending().firing).toEqual([body]);
  });

  it('does not re-open a condition a later resolve ended and Alertmanager settled', () => {
    const c = new AmConditions();
    const fired = c.stamp(alert('unhealthy'));
    const recovered = c.stamp(alert('recovered'));
    const am = c.resolve('k', recovered, '2026-11-24T05:00:01.000Z', () => ({ ...body, endsAt: '2026-11-24T05:00:01.000Z' }));
    c.settle([{ k: 'k', seq: recovered, am: am as AmAlert }]);
    lose(c, 'k', fired); // the older firing alert, given up on after the resolve was taken
    expect(c.pending()).toEqual({ firing: [], resolves: [] });
  });

  it('does not re-fire a firing alert Alertmanager refused for good', () => {
    const c = new AmConditions();
    const seq = c.stamp(alert('unhealthy'));
    c.fire('k', seq, 'c1', () => body);
    c.refused('k', seq);
    lose(c, 'k', seq); // the channel reports the refused alert as lost
    expect(c.pending()).toEqual({ firing: [], resolves: [] });
  });
});
