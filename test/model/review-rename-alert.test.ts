import { Agent } from 'undici';
import { describe, expect, it } from 'vitest';
import { unhealthyNotifyApi, worldsPerTest } from './worlds.ts';
import { alertmanager } from '../../src/alerting/providers/alertmanager.ts';
import type { Alert } from '../../src/alerting/types.ts';
import { receiver } from '../helpers/receiver.ts';

// Regressions from the adversarial review: each failed before its fix.

const world = worldsPerTest();

describe('review: `docker rename` of a container with an open alert', () => {
  it('the Alertmanager alert opened under the old name is resolved when the container recovers', async () => {
    const w = await world();
    const c = await unhealthyNotifyApi(w);
    // Blue/green by hand: the failing one is renamed out of the way (it keeps running).
    c.name = 'api-old';
    (w.engine as unknown as { emit(c: unknown, action: string, attrs?: Record<string, string>): void }).emit(c, 'rename', { oldName: '/api' });
    await w.clock.advance(1_000, () => w.settle());
    w.engine.setApp(c, 'ok');
    await w.clock.advance(4_000, () => w.settle());
    const mine = w.alerts.filter((a) => a.container?.id === c.id).map((a) => `${a.event}:${a.container?.name ?? ''}`);
    expect(mine).toContain('unhealthy:api');
    expect(mine.some((m) => m.startsWith('recovered:'))).toBe(true);

    // The same alerts through the real Alertmanager channel: what stays open is re-sent every resendMs.
    const r = await receiver();
    const dispatcher = new Agent();
    const am = alertmanager({ name: 'am', url: `http://127.0.0.1:${r.port}/`, headers: {} }, dispatcher, 200);
    try {
      for (const a of w.alerts.filter((x) => x.container?.id === c.id)) {
        const alert: Alert = { event: a.event, severity: a.event === 'recovered' ? 'info' : 'warning', summary: a.summary, reason: a.reason, host: 'box1', at: new Date().toISOString(), ...(a.container ? { container: a.container } : {}) };
        await am.send(alert, AbortSignal.timeout(2_000));
      }
      const before = r.got.length;
      await new Promise((res) => setTimeout(res, 500));
      // Nothing should still be firing for this container once it recovered.
      expect(r.got.slice(before).map((g) => JSON.stringify(g.body))).toEqual([]);
    } finally {
      am.close?.();
      await r.close();
      await dispatcher.close();
    }
  }, 30_000);
});

describe('review: `docker compose up -d` re-creates an unhealthy container (stop, rename the old one, create and start the new, remove the old)', () => {
  it("the old container's open Alertmanager alert ends when it is removed", async () => {
    const w = await world();
    // Record emits and removals in order, as the real Alerter would hand them to its channels.
    const seen: ({ kind: 'emit'; a: (typeof w.alerts)[number] } | { kind: 'gone'; id: string })[] = [];
    const push = w.alerts.push.bind(w.alerts);
    w.alerts.push = (...a) => {
      for (const x of a) seen.push({ kind: 'emit', a: x });
      return push(...a);
    };
    w.onContainerGone = (id: string) => void seen.push({ kind: 'gone', id });
    const labels = { 'healer.enable': 'true', 'healer.action': 'notify', 'healer.liveness': 'tcp://127.0.0.1:1', 'healer.liveness.interval': '1s', 'healer.liveness.failures': '2', 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'api' };
    const old = w.engine.create('shop-api-1', labels);
    w.engine.startNow(old);
    await w.settle();
    await w.clock.advance(3_000, () => w.settle());
    w.engine.setApp(old, 'hang');
    await w.clock.advance(4_000, () => w.settle());
    const eng = w.engine as unknown as { emit(c: unknown, action: string, attrs?: Record<string, string>): void };
    w.engine.stopNow(old);
    await w.settle();
    old.name = `${old.id.slice(0, 12)}_shop-api-1`;
    eng.emit(old, 'rename', { oldName: '/shop-api-1' });
    await w.clock.advance(100, () => w.settle());
    const fresh = w.engine.create('shop-api-1', labels);
    w.engine.startNow(fresh);
    w.engine.remove(old);
    await w.clock.advance(5_000, () => w.settle());

    const r = await receiver();
    const dispatcher = new Agent();
    const am = alertmanager({ name: 'am', url: `http://127.0.0.1:${r.port}/`, headers: {} }, dispatcher, 200);
    try {
      for (const s of seen) {
        if (s.kind === 'gone') am.forget?.(s.id);
        else if (s.a.container) {
          const a = s.a;
          const alert: Alert = { event: a.event, severity: a.event === 'recovered' ? 'info' : 'warning', summary: a.summary, reason: a.reason, host: 'box1', at: new Date().toISOString(), ...(a.container ? { container: a.container } : {}) };
          await am.send(alert, AbortSignal.timeout(2_000));
        }
      }
      expect(seen.filter((s) => s.kind === 'emit' && s.a.event === 'unhealthy').length).toBe(1);
      await new Promise((res) => setTimeout(res, 100)); // the resolve forget() sends is not awaited
      const before = r.got.length;
      await new Promise((res) => setTimeout(res, 500));
      // The old container is gone and the new one is healthy: nothing may still fire.
      expect(r.got.slice(before).map((g) => JSON.stringify(g.body))).toEqual([]);
    } finally {
      am.close?.();
      await r.close();
      await dispatcher.close();
    }
  }, 30_000);
});
