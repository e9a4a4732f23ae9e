import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type Docker from 'dockerode';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { inertWatch } from '../helpers/inert-watch.ts';
import type { AlertInput } from '../../src/alerting/alerter.ts';
import { loadConfig } from '../../src/config/load.ts';
import { SwarmView } from '../../src/docker/swarm-view.ts';
import type { ContainerInfo } from '../../src/docker/types.ts';
import { ClusterCount } from '../../src/watchdog/cluster-watch.ts';
import { ContainerWatch } from '../../src/watchdog/container-watch.ts';
import { NO_HISTORY } from '../../src/watchdog/history.ts';
import { TaskSlots } from '../../src/watchdog/slot-watch.ts';
import { StateFile } from '../../src/watchdog/state-file.ts';
import { syntheticContainer } from '../helpers/fake-engine.ts';

// Eighth adversarial review (issue 16, swarm.crashloops: cluster). Fails on the reviewed code.
//
// The fallback ("while a healer cannot learn who leads, it alerts them as with node: duplicates are
// better than silence") only ever starts on a manager: a worker learns from GET /info alone that it is a
// worker and stays quiet, trusting the leader's count. When the managers cannot learn who leads because
// a socket proxy refuses GET /nodes/{id} (tecnativa's NODES defaults to 0; INFO=1 set, NODES=1
// forgotten), no manager counts across the cluster (each only alerts its own node's share), and a loop
// on a worker is alerted by nobody: silence, the case the fallback exists for. The managers could count
// across the cluster anyway when /services and /tasks answer (duplicates, one per manager).
//
// Modelled with the real classes on handmade Engine answers (moby API 1.41): one manager (m1) whose
// proxy refuses /nodes/{id} with 403, one worker (w1) on which web.1 loops (8 tasks exit 3, 6 s apart).

const fail = (status: number) => Promise.reject(Object.assign(new Error(`(HTTP code ${status}) Forbidden`), { statusCode: status }));

function taskWatch(task: string, now: () => number): ContainerWatch {
  const labels = { 'healer.enable': 'true' };
  const info: ContainerInfo = { ...syntheticContainer(0, labels), id: task, name: `web.1.${task}`, startedAt: now() - 1000, task: { taskId: task, service: 'web', slot: 1, node: 'w1' } };
  return inertWatch(info, labels, { now, setTimeout: () => ({}), clearTimeout: () => undefined });
}

describe('review8: managers that cannot learn who leads (NODES refused) leave a worker\'s crash loop unalerted', () => {
  it('a slot looping on a worker is alerted by someone', async () => {
    let now = 1_000_000;
    const failedTasks: object[] = [];
    const manager = {
      info: () => Promise.resolve({ Swarm: { NodeID: 'm1', ControlAvailable: true, LocalNodeState: 'active' } }),
      getNode: () => ({ inspect: () => fail(403) }),
      listServices: () => Promise.resolve([{ ID: 'S', Spec: { Name: 'web', Labels: {}, TaskTemplate: { ContainerSpec: { Image: `web@sha256:${'ab'.repeat(32)}`, Labels: { 'healer.enable': 'true' } } }, Mode: { Replicated: { Replicas: 1 } } } }]),
      getImage: () => ({ inspect: () => Promise.resolve({ Config: { Labels: {} } }) }),
      listTasks: () => Promise.resolve(failedTasks),
      listNodes: () => fail(403),
    } as unknown as Docker;
    const worker = { info: () => Promise.resolve({ Swarm: { NodeID: 'w1', ControlAvailable: false, LocalNodeState: 'active' } }) } as unknown as Docker;
    const alerts: AlertInput[] = [];
    const alerter = { emit: (a: AlertInput) => alerts.push(a), containerGone: () => undefined };
    const deps = (name: string) => {
      const d = mkdtempSync(`${tmpdir()}/healer-review8-${name}-`);
      writeFileSync(`${d}/w.yml`, 'swarm:\n  crashloops: cluster\n');
      const state = new StateFile(`${d}/state.json`, pino({ level: 'silent' }));
      state.load();
      return { loaded: loadConfig(`${d}/w.yml`, {}), state, clock: { now: () => now, setTimeout: () => ({}), clearTimeout: () => undefined }, log: pino({ level: 'silent' }), alerter, history: NO_HISTORY };
    };
    const onManager = new ClusterCount({ ...deps('m1'), swarm: new SwarmView(manager) });
    const w = deps('w1');
    const onWorker = new ClusterCount({ ...w, swarm: new SwarmView(worker) });
    const workerSlots = new TaskSlots({ state: w.state, clock: w.clock, alerter, history: NO_HISTORY, throttleMs: 600_000, crashloops: 'cluster', clusterCounts: () => !onWorker.fallback });
    for (let i = 0; i < 8; i++) {
      now += 6000;
      const id = `t${i}`;
      workerSlots.failed(taskWatch(id, () => now), { kind: 'exit', exitCode: 3 });
      failedTasks.push({ ID: id, ServiceID: 'S', Slot: 1, NodeID: 'w1', Spec: { ContainerSpec: { Image: 'web' } }, Status: { Timestamp: new Date(now).toISOString(), State: 'failed', Err: 'task: non-zero exit (3)', ContainerStatus: { ContainerID: `c-${id}`, ExitCode: 3 } } });
      if (i % 2 === 1) await Promise.all([onManager.poll(), onWorker.poll()]); // every swarm.poll (10 s)
    }
    expect({ manager: onManager.fallback, worker: onWorker.fallback }).toEqual({ manager: true, worker: false });
    expect(alerts.filter((a) => a.event === 'crashloop').length).toBeGreaterThan(0);
  });
});
