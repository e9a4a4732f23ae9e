import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type Docker from 'dockerode';
import { pino } from 'pino';
import { Agent, type Dispatcher } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import type { AlertInput } from '../../src/alerting/alerter.ts';
import { alertmanager } from '../../src/alerting/providers/alertmanager.ts';
import { SEVERITY, type Alert } from '../../src/alerting/types.ts';
import { loadConfig } from '../../src/config/load.ts';
import { toContainerInfo } from '../../src/docker/inspect.ts';
import { toClusterService, toClusterTasks, type ClusterService, type ClusterTask, type Leadership, type RawTask } from '../../src/docker/swarm-view.ts';
import { countSlot } from '../../src/watchdog/cluster-slots.ts';
import { ClusterCount, servicePolicy } from '../../src/watchdog/cluster-watch.ts';
import { evaluate } from '../../src/watchdog/discover.ts';
import { NO_HISTORY } from '../../src/watchdog/history.ts';
import { StateFile } from '../../src/watchdog/state-file.ts';
import type { SlotRules } from '../../src/watchdog/task-slots.ts';
import { waitFor } from '../helpers/engine.ts';
import { receiver } from '../helpers/receiver.ts';

// Seventh adversarial review (issue 16, swarm.crashloops: cluster). Each test fails on the reviewed code.

const dir = () => mkdtempSync(`${tmpdir()}/healer-review7-`);
const config = (yml: string) => {
  const d = dir();
  writeFileSync(`${d}/w.yml`, yml);
  return loadConfig(`${d}/w.yml`, {});
};

describe('review7: a task whose Status.Timestamp is not a usable past time is counted again every crash-loop window', () => {
  // A slot that stopped looping (deploy.restart_policy.max_attempts reached, or fixed) keeps its last
  // failed tasks in the manager's list for as long as the service exists (task-history-limit). Each is
  // one failure, once. A task whose timestamp lies in the future (the agent on a node whose clock is ahead
  // sets it) or cannot be read is counted at "now"; once that leaves the window the task is no longer
  // in the record, so the next poll counts it again as a new failure, forever.
  const rules: SlotRules = { restarts: 1, windowMs: 60_000, throttleMs: 60_000 };
  const hour = 3_600_000;
  const base = Date.parse('2026-11-23T12:00:00.000Z');
  const raw = (id: string, timestamp: string | undefined): RawTask => ({
    ID: id,
    ServiceID: 'S',
    Slot: 1,
    NodeID: 'n2',
    Spec: { ContainerSpec: { Image: 'img' } },
    Status: { ...(timestamp !== undefined ? { Timestamp: timestamp } : {}), State: 'failed', Err: 'task: non-zero exit (3)', ContainerStatus: { ContainerID: `c-${id}`, ExitCode: 3 } },
  });
  const svc: ClusterService = { id: 'S', name: 'web', shortName: 'web', project: undefined, labels: {}, containerLabels: {} };

  it.each<[string, (i: number) => string | undefined]>([
    ['an hour in the future (a node clock ahead)', (i) => new Date(base + hour + i * 1000).toISOString()],
    ["Go's zero time", () => '0001-01-01T00:00:00Z'],
    ['missing', () => undefined],
  ])('timestamp %s: two old failures are one alert, not one per window', (_what, ts) => {
    const tasks = toClusterTasks([raw('a', ts(1)), raw('b', ts(2))], [svc]);
    let record = countSlot(undefined, tasks, rules, base).record;
    let alerts = 1; // the first poll alerts: 2 failures > 1
    // The same two tasks, listed by every poll for the next 10 minutes (10 s apart): nothing new failed.
    for (let now = base + 10_000; now <= base + 600_000; now += 10_000) {
      const step = countSlot(record, tasks, rules, now);
      record = step.record;
      if (step.alert) alerts++;
    }
    expect(alerts).toBe(1);
  });
});

describe("review7: servicePolicy (the leader's view of a service) disagrees with the node's discovery of its task containers", () => {
  // What a task container of the service looks like on its node: the service's container labels, the
  // image's labels merged in by the engine, and the labels Swarm adds.
  const taskContainer = (containerLabels: Record<string, string>, imageLabels: Record<string, string> = {}) =>
    toContainerInfo({
      Id: 'c'.repeat(64),
      Name: '/web.1.t1',
      Image: 'sha256:x',
      Config: {
        Image: 'img',
        Labels: {
          ...imageLabels,
          ...containerLabels,
          'com.docker.swarm.service.name': containerLabels['com.docker.stack.namespace'] ? `${containerLabels['com.docker.stack.namespace']}_web` : 'web',
          'com.docker.swarm.task.id': 't1',
          'com.docker.swarm.task.name': `${containerLabels['com.docker.stack.namespace'] ? `${containerLabels['com.docker.stack.namespace']}_web` : 'web'}.1.t1`,
          'com.docker.swarm.node.id': 'n2',
        },
      },
      State: { Running: true, StartedAt: '2026-11-23T12:00:00Z', FinishedAt: '0001-01-01T00:00:00Z', ExitCode: 0 },
      HostConfig: { NetworkMode: 'bridge' },
      NetworkSettings: { Networks: {} },
    } as unknown as Docker.ContainerInspectInfo);
  // The image's labels as the leader's engine has them (SwarmView inspects the service's image).
  const service = (containerLabels: Record<string, string>, serviceLabels: Record<string, string> = {}, imageLabels: Record<string, string> = {}): ClusterService =>
    toClusterService({
      ID: 'S',
      Spec: {
        Name: containerLabels['com.docker.stack.namespace'] ? `${containerLabels['com.docker.stack.namespace']}_web` : 'web',
        Labels: serviceLabels,
        TaskTemplate: { ContainerSpec: { Image: 'img', Labels: containerLabels } },
      },
    }, imageLabels);
  const self = { ids: [], hostname: 'nobody' };

  it.each<[string, string, Record<string, string>, Record<string, string>, Record<string, string>]>([
    // `docker service create --container-label healer.enable=true --container-label com.docker.compose.project=shop`
    // with discovery.project: shop: each node watches its tasks (project from com.docker.compose.project),
    // the leader does not (it reads the project only from com.docker.stack.namespace). With
    // crashloops: cluster the nodes stay quiet about replicated slots, so its crash loop is never alerted.
    ['a service outside a stack whose containers carry com.docker.compose.project', 'discovery:\n  project: shop\n', { 'healer.enable': 'true', 'com.docker.compose.project': 'shop' }, {}, {}],
    // The converse: stack `shop` whose service's labels say com.docker.compose.project: billing. The
    // nodes leave its containers alone (out of scope); the leader alerts its crash loops.
    ['a stack service whose containers say another compose project', 'discovery:\n  project: shop\n', { 'healer.enable': 'true', 'com.docker.stack.namespace': 'shop', 'com.docker.compose.project': 'billing' }, {}, { 'com.docker.stack.namespace': 'shop' }],
    // A service outside a stack with a *service* label (deploy.labels) com.docker.stack.namespace: shop:
    // its containers do not carry it, so the nodes find no project and leave them alone; the leader
    // takes the project from the service's labels and watches it.
    ['a service whose service labels (not its containers) name the stack', 'discovery:\n  project: shop\n', { 'healer.enable': 'true' }, {}, { 'com.docker.stack.namespace': 'shop' }],
    // Opted in by its image (`LABEL healer.enable=true` in the Dockerfile): the engine merges image
    // labels into the container's, so every node watches it; /services shows only ContainerSpec.Labels.
    // With crashloops: cluster nobody alerts its crash loop.
    ['a service opted in by its image labels', '{}\n', {}, { 'healer.enable': 'true' }, {}],
    // A label over guards.max_label_restart_timeout: a label error on the node (never watched, reported
    // as a problem); the leader, which checks labels without the guards, watches and alerts it.
    ['a service whose label breaks a guard (healer.restart.timeout beyond guards.max_label_restart_timeout)', '{}\n', { 'healer.enable': 'true', 'healer.restart.timeout': '1h' }, {}, {}],
  ])('%s: both sides agree on whether it is watched', (_what, yml, containerLabels, imageLabels, serviceLabels) => {
    const loaded = config(yml);
    const onNode = evaluate(taskContainer(containerLabels, imageLabels), loaded, self).kind === 'watch';
    const onLeader = servicePolicy(service(containerLabels, serviceLabels, imageLabels), loaded) !== undefined;
    expect({ onLeader }).toEqual({ onLeader: onNode });
  });
});

describe("review7: a cluster crashloop alert about a task on another node is never resolved in Alertmanager", () => {
  // Alertmanager keeps a `crashloop` open (re-sent every resend interval) until the container recovers
  // or healer is told it is gone (containerGone). The leader names the alert after the slot's latest
  // failed task, which usually ran on another node: the leader never watches that container, so neither
  // ever comes, even after the service is removed. The alert fires forever and the channel's open map
  // grows by one entry per such alert.
  /**
   * An Agent that notes each body as the channel hands it over (request() dispatches synchronously), so
   * "told after the forget" is judged by when healer sent, not by when a loaded machine delivered: a
   * re-send posted just before the forget may arrive after it.
   */
  class Noting extends Agent {
    readonly bodies: string[] = [];
    override dispatch(opts: Agent.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
      this.bodies.push(typeof opts.body === 'string' ? opts.body : '');
      return super.dispatch(opts, handler);
    }
  }
  const dispatcher = new Noting();
  afterAll(() => dispatcher.close());

  it('after the service is removed and its record forgotten, Alertmanager is no longer told it is firing', async () => {
    const r = await receiver();
    const am = alertmanager({ name: 'am', url: `http://127.0.0.1:${r.port}/`, headers: {} }, dispatcher, 100);
    try {
      let now = 100_000;
      const svc: ClusterService = { id: 'S', name: 'web', shortName: 'web', project: undefined, labels: {}, containerLabels: { 'healer.enable': 'true', 'healer.crashloop.restarts': '2', 'healer.crashloop.window': '1m' } };
      let listed: ClusterService[] = [svc];
      const t = (id: string, at: number): ClusterTask => ({ taskId: id, service: 'web', slot: 1, node: 'n2', failed: true, at, exitCode: 3, err: 'task: non-zero exit (3)', containerId: `c-${id}`, image: 'img' });
      let tasks: ClusterTask[] = [t('a', 97_000), t('b', 98_000), t('c', 99_000)];
      const swarm = {
        leadership: (): Promise<Leadership> => Promise.resolve({ kind: 'leader' }),
        services: () => Promise.resolve({ services: listed }),
        tasks: (s: readonly ClusterService[]) => Promise.resolve({ tasks: tasks.filter((x) => s.some((y) => y.name === x.service)) }),
      };
      const d = dir();
      writeFileSync(`${d}/w.yml`, 'swarm:\n  crashloops: cluster\n');
      const state = new StateFile(`${d}/state.json`, pino({ level: 'silent' }));
      state.load();
      // What Alerter does with an input (channel delivery without its queue).
      const sent: Promise<void>[] = [];
      let forgotAt: number | undefined; // how many bodies had been posted when the slot was forgotten
      const alerter = {
        emit: (a: AlertInput) => {
          const { channels: _c, ...rest } = a;
          const alert: Alert = { ...rest, severity: SEVERITY[a.event], host: 'manager1', at: new Date().toISOString() };
          sent.push(am.send(alert, AbortSignal.timeout(2000)));
        },
        containerGone: (id: string) => {
          forgotAt ??= dispatcher.bodies.length;
          am.forget?.(id);
        },
      };
      const c = new ClusterCount({ swarm, loaded: loadConfig(`${d}/w.yml`, {}), state, clock: { now: () => now, setTimeout: () => ({}), clearTimeout: () => undefined }, log: pino({ level: 'silent' }), alerter, history: NO_HISTORY });
      await c.poll();
      await Promise.all(sent);
      expect(sent).toHaveLength(1); // the loop was alerted
      // Another container's open alert, re-sent at each tick of the channel (every 100 ms here) in the
      // same post as any other open one: the ticks after the forget are seen, not assumed from a sleep.
      const other: Alert = { event: 'unhealthy', severity: SEVERITY.unhealthy, summary: 'db unhealthy', reason: 'probe failed', host: 'manager1', at: new Date().toISOString(), container: { id: 'c-db', name: 'db', image: 'img', project: undefined, service: undefined } };
      await am.send(other, AbortSignal.timeout(2000));
      // `docker service rm web`; the leader polls on past the crash-loop window and forgets the slot.
      listed = [];
      tasks = [];
      now += 120_000;
      await c.poll();
      expect(state.slotKeys()).toEqual([]);
      const from = forgotAt ?? dispatcher.bodies.length;
      const told = () => dispatcher.bodies.slice(from).flatMap((b) => JSON.parse(b) as { labels: Record<string, string>; endsAt?: string }[]);
      await waitFor('three re-sends after the forget', () => told().filter((a) => a.labels.alertname === 'HealerContainerUnhealthy').length >= 3, 10_000);
      const firing = told().filter((a) => a.labels.alertname === 'HealerCrashLoop' && a.endsAt === undefined);
      expect(firing).toEqual([]);
    } finally {
      am.close?.();
      await r.close();
    }
  });
});

describe('review7: cluster records are pruned only by a leader', () => {
  // README: "a slot with none left in the window, and a service removed or no longer watched, are
  // forgotten". On a healer whose node lost the leadership (or after swarm.crashloops went back to
  // node), its cluster: records are skipped by the node's own pruning and never looked at again: they
  // stay in the state file (and are loaded, validated and rewritten) forever.
  it('a former leader forgets cluster records whose failures left the window', async () => {
    const d = dir();
    writeFileSync(`${d}/w.yml`, 'swarm:\n  crashloops: cluster\n');
    const state = new StateFile(`${d}/state.json`, pino({ level: 'silent' }));
    state.load();
    state.setSlot('cluster:web.1', { failures: [{ task: 'a', at: 1000, kind: 'exit', exitCode: 3 }], alertedAt: 1000 });
    const swarm = {
      leadership: (): Promise<Leadership> => Promise.resolve({ kind: 'follower', why: 'this engine is a Swarm manager but not the leader' }),
      services: () => Promise.resolve({ services: [] }),
      tasks: () => Promise.resolve({ tasks: [] }),
    };
    const alerter = { emit: () => undefined, containerGone: () => undefined };
    // A week later, still polling as a follower.
    const c = new ClusterCount({ swarm, loaded: loadConfig(`${d}/w.yml`, {}), state, clock: { now: () => 7 * 86_400_000, setTimeout: () => ({}), clearTimeout: () => undefined }, log: pino({ level: 'silent' }), alerter, history: NO_HISTORY });
    for (let i = 0; i < 3; i++) await c.poll();
    expect(state.slotKeys()).toEqual([]);
  });
});

describe('review7: a slot whose tasks Swarm rejects over and over is no crash loop to the cluster count', () => {
  // `docker service create --mount type=bind,src=/srv/data,dst=/data ...` on nodes without /srv/data (or
  // an image a node cannot pull): every task is `rejected` before any container exists, and Swarm makes
  // a new one every restart delay, forever, while `docker service ls` shows 0/1. No node's healer can
  // see it (there is no container); the manager's task list is the only place it shows, and the cluster
  // count reads only `failed`.
  it('six rejected tasks of web.1 within a minute, limit 2: one crashloop alert', () => {
    const svc: ClusterService = { id: 'S', name: 'web', shortName: 'web', project: undefined, labels: {}, containerLabels: {} };
    const base = Date.parse('2026-11-23T12:00:00.000Z');
    const raw: RawTask[] = Array.from({ length: 6 }, (_, i) => ({
      ID: `r${i}`,
      ServiceID: 'S',
      Slot: 1,
      NodeID: `n${i % 3}`,
      Spec: { ContainerSpec: { Image: 'img' } },
      Status: { Timestamp: new Date(base + i * 5000).toISOString(), State: 'rejected', Err: 'invalid mount config for type "bind": bind source path does not exist: /srv/data' },
    }));
    const tasks = toClusterTasks(raw, [svc]);
    const step = countSlot(undefined, tasks, { restarts: 2, windowMs: 60_000, throttleMs: 600_000 }, base + 30_000);
    expect(step.alert).toBe(true);
  });
});

describe('review7: the cluster crashloop alert does not say on which node the task failed', () => {
  // README: stack.yml sets `hostname: "{{.Node.Hostname}}"` "so alerts name the node (their host)". The
  // leader's alert about a task that failed on node n2 carries the leader's hostname as `host` and
  // names n2 nowhere (only the log line has `node`): the operator is sent to the wrong machine.
  it('the alert input names the node of the failed task', async () => {
    const d = dir();
    writeFileSync(`${d}/w.yml`, 'swarm:\n  crashloops: cluster\n');
    const state = new StateFile(`${d}/state.json`, pino({ level: 'silent' }));
    state.load();
    const svc: ClusterService = { id: 'S', name: 'web', shortName: 'web', project: undefined, labels: {}, containerLabels: { 'healer.enable': 'true', 'healer.crashloop.restarts': '2' } };
    const t = (id: string, at: number): ClusterTask => ({ taskId: id, service: 'web', slot: 1, node: 'worker-node-id-7', failed: true, at, exitCode: 3, err: 'task: non-zero exit (3)', containerId: `c-${id}`, image: 'img' });
    const swarm = {
      leadership: (): Promise<Leadership> => Promise.resolve({ kind: 'leader' }),
      services: () => Promise.resolve({ services: [svc] }),
      tasks: () => Promise.resolve({ tasks: [t('a', 1000), t('b', 2000), t('c', 3000)] }),
    };
    const alerts: AlertInput[] = [];
    const c = new ClusterCount({ swarm, loaded: loadConfig(`${d}/w.yml`, {}), state, clock: { now: () => 4000, setTimeout: () => ({}), clearTimeout: () => undefined }, log: pino({ level: 'silent' }), alerter: { emit: (a) => alerts.push(a), containerGone: () => undefined }, history: NO_HISTORY });
    await c.poll();
    expect(alerts).toHaveLength(1);
    expect(JSON.stringify(alerts[0])).toContain('worker-node-id-7');
  });
});
