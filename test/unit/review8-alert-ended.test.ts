import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import type { AlertInput } from '../../src/alerting/alerter.ts';
import { alertmanager } from '../../src/alerting/providers/alertmanager.ts';
import { SEVERITY, type Alert } from '../../src/alerting/types.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { ClusterService, ClusterTask, Leadership } from '../../src/docker/swarm-view.ts';
import { ClusterCount } from '../../src/watchdog/cluster-watch.ts';
import { NO_HISTORY } from '../../src/watchdog/history.ts';
import { StateFile } from '../../src/watchdog/state-file.ts';
import { waitFor } from '../helpers/engine.ts';
import { receiver } from '../helpers/receiver.ts';

// Eighth adversarial review (issue 16, swarm.crashloops: cluster). Fails on the reviewed code.
//
// The leader's `crashloop` alert is keyed in the Alertmanager channel by the id of the slot's latest
// failed task's container (cluster-alert.ts). The same healer process also watches the task containers
// of its own node, and when one is removed its watchdog calls alerter.containerGone(<that id>)
// (watchdog.ts, registry.release): the channel then ends every open alert with that container id, the
// cluster alert included, and marks the id gone. Swarm removes a failed task's container as soon as the
// slot has more than task-history-limit (5) newer tasks: about 30 s into a loop at restart_policy.delay
// 5s. So when the task the alert names ran on the leader's node (always, on a one-node swarm or a loop
// placed on the leader), Alertmanager shows the loop resolved ~30 s after it fired, and nothing fires
// it again until alerts.throttle.window (10m) has passed, while the slot keeps looping. README promises
// the alert is ended only when the slot has no failure left in the window, is forgotten, or a later
// alert names another task.

describe('review8: a cluster crashloop alert is ended by the removal of a container on the leader\'s node while the slot still loops', () => {
  const dispatcher = new Agent();
  afterAll(() => dispatcher.close());

  it('Alertmanager is still told the slot loops after Swarm removed the named task container on the leader\'s node', async () => {
    const r = await receiver();
    const am = alertmanager({ name: 'am', url: `http://127.0.0.1:${r.port}/`, headers: {} }, dispatcher, 100);
    try {
      let now = 100_000;
      const svc: ClusterService = { id: 'S', name: 'web', shortName: 'web', project: undefined, labels: {}, containerLabels: { 'healer.enable': 'true', 'healer.crashloop.restarts': '2', 'healer.crashloop.window': '5m' } };
      // n1 is the leader's node: the loop runs there (a one-node swarm, or Swarm placing the slot there).
      const t = (id: string, at: number): ClusterTask => ({ taskId: id, service: 'web', slot: 1, node: 'n1', nodeName: 'manager1', failed: true, at, exitCode: 3, err: 'task: non-zero exit (3)', containerId: `c-${id}`, image: 'img' });
      let tasks: ClusterTask[] = [t('a', 85_000), t('b', 92_000), t('c', 99_000)];
      const swarm = {
        leadership: (): Promise<Leadership> => Promise.resolve({ kind: 'leader' }),
        services: () => Promise.resolve({ services: [svc] }),
        tasks: () => Promise.resolve({ tasks }),
      };
      const d = mkdtempSync(`${tmpdir()}/healer-review8-`);
      writeFileSync(`${d}/w.yml`, 'swarm:\n  crashloops: cluster\n');
      const state = new StateFile(`${d}/state.json`, pino({ level: 'silent' }));
      state.load();
      // What Alerter does (channel delivery without its queue): emit builds and sends, containerGone forgets.
      const sent: Promise<void>[] = [];
      const alerter = {
        emit: (a: AlertInput) => {
          const { channels: _c, ...rest } = a;
          const alert: Alert = { ...rest, severity: SEVERITY[a.event], host: 'manager1', at: new Date().toISOString() };
          sent.push(am.send(alert, AbortSignal.timeout(2000)));
        },
        containerGone: (id: string) => am.forget?.(id),
      };
      const c = new ClusterCount({ swarm, loaded: loadConfig(`${d}/w.yml`, {}), state, clock: { now: () => now, setTimeout: () => ({}), clearTimeout: () => undefined }, log: pino({ level: 'silent' }), alerter, history: NO_HISTORY });
      await c.poll();
      await Promise.all(sent);
      expect(sent).toHaveLength(1); // the loop is alerted, named by c-c
      // The loop goes on: five more tasks fail on n1, and Swarm removes c-c's container (task history
      // limit). The leader's own watchdog had a watch on it (an opted-in task container of its node) and
      // releases it as removed, which is alerter.containerGone('c-c').
      tasks = [t('c', 99_000), t('d', 106_000), t('e', 113_000), t('f', 120_000), t('g', 127_000), t('h', 134_000)];
      alerter.containerGone('c-c');
      now = 135_000;
      await c.poll();
      await Promise.all(sent);
      const before = r.got.length;
      const firing = () =>
        r.got
          .slice(before)
          .flatMap((g) => g.body as { labels: Record<string, string>; endsAt?: string }[])
          .filter((a) => a.labels.alertname === 'HealerCrashLoop' && a.endsAt === undefined);
      // The channel re-sends every 100 ms here; a loaded machine may fire none within a fixed 350 ms, so
      // wait (10 s bound) for a re-send that still fires the loop: an ended alert never gets one.
      await waitFor('a re-send firing the crash loop', () => firing().length > 0, 10_000);
    } finally {
      am.close?.();
      await r.close();
    }
  });
});
