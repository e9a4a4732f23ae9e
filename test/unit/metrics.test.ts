import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { policyFromLabels } from '../../src/config/labels.ts';
import { CONTAINER_METRICS, Metrics } from '../../src/metrics.ts';
import type { Prober } from '../../src/probes/types.ts';
import { systemClock } from '../../src/watchdog/clock.ts';
import { ContainerWatch } from '../../src/watchdog/container-watch.ts';
import type { Watchdog } from '../../src/watchdog/watchdog.ts';
import { syntheticContainer } from '../helpers/fake-engine.ts';
import { parseExposition, promtool, sample } from '../helpers/prometheus.ts';

// The per-container families are written by healer itself (prom-client's label handling blocked the
// event loop for ~250 ms per scrape of 2,000 containers): the text must stay valid and exact.

const prober: Prober = { run: () => Promise.resolve({ ok: true, latencyMs: 1 }) };

function watch(i: number, project: string, service: string): ContainerWatch {
  const labels = { 'healer.liveness': 'http://127.0.0.1:1/', 'healer.liveness.interval': '1h' };
  const result = policyFromLabels({ labels, prefix: 'healer', containerName: `c${i}`, rawDefaults: {}, imageHasHealthcheck: false });
  if (!result.ok) throw new Error(result.errors.join('; '));
  return new ContainerWatch({ ...syntheticContainer(i, labels), project, service }, result.policy, {
    probers: { http: prober, tcp: prober, exec: prober },
    observer: { probe: () => undefined, drift: () => undefined, recovered: () => undefined, watchError: () => undefined },
    clock: systemClock,
    log: pino({ level: 'silent' }),
    effects: { act: () => Promise.resolve(), notify: () => undefined, context: () => ({ heldBy: undefined, paused: false }), changed: () => undefined },
    route: (w) => ({ ok: true, target: { containerId: w.id, address: '127.0.0.1' } }),
    dryRun: false,
  });
}

describe('metrics exposition', () => {
  const odd = 'we"ird\\path\nnext line';
  const watches = new Map([
    ['a', watch(0, 'shop', 'api')],
    ['b', watch(1, odd, 'db')],
  ]);
  const metrics = new Metrics({ watchdog: { watches, problems: new Map(), unreadableCount: () => 2 } as unknown as Watchdog, alerter: undefined });

  it('passes promtool, with every per-container family once and label values escaped', async () => {
    const w = watches.get('a');
    if (!w) throw new Error('no watch');
    w.counts.probes.liveness.success = 7;
    w.counts.restarts.exit = 2;
    const text = await metrics.text();
    const lint = await promtool(['check', 'metrics'], text);
    expect(lint.out).toBe('');
    expect(lint.code).toBe(0);
    const { samples, families } = parseExposition(text);
    for (const name of CONTAINER_METRICS) {
      expect(text.match(new RegExp(`^# TYPE ${name} `, 'gm'))).toHaveLength(1);
      expect(families.get(name)).toMatch(/^(gauge|counter)$/);
    }
    expect(sample(samples, 'healer_probes_total', { container: 'synthetic-0', project: 'shop', service: 'api', probe: 'liveness', result: 'success' })).toBe(7);
    expect(sample(samples, 'healer_restarts_total', { container: 'synthetic-0', reason: 'exit' })).toBe(2);
    expect(sample(samples, 'healer_restarts_total', { container: 'synthetic-1', project: odd, reason: 'exit' })).toBe(0);
    expect(sample(samples, 'healer_container_crashloop', { container: 'synthetic-1', project: odd })).toBe(0);
    // healer-wide families from prom-client are still there
    expect(sample(samples, 'healer_build_info')).toBe(1);
    expect(sample(samples, 'healer_containers_unreadable')).toBe(2);
  });

  it('follows a rename and leaves no series for a container that went away', async () => {
    const w = watches.get('a');
    if (!w) throw new Error('no watch');
    w.info = { ...w.info, name: 'renamed' };
    watches.delete('b');
    const { samples } = parseExposition(await metrics.text());
    expect(samples.filter((s) => s.name === 'healer_container_held').map((s) => s.labels.container)).toEqual(['renamed']);
    expect(samples.some((s) => s.labels.container === 'synthetic-1')).toBe(false);
  });
});
