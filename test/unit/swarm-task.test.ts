import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { machineRules } from '../helpers/machine-rules.ts';
import { serviceLabelWarnings } from '../../src/check.ts';
import { swarmTask, toContainerInfo } from '../../src/docker/inspect.ts';
import { toServiceLabels } from '../../src/docker/services.ts';
import type { ContainerEvent } from '../../src/docker/types.ts';
import { actionFor, startsAfterExit } from '../../src/watchdog/action-policy.ts';
import { EventReader } from '../../src/watchdog/event-reader.ts';
import { policyFromLabels } from '../../src/config/labels.ts';
import { initialState, resumeExited, step, type Input, type MachineState, type Rules } from '../../src/watchdog/state-machine.ts';

// Recorded `docker inspect` of task containers on a single-node Swarm (Engine 20.10): a replicated
// service's task (web.1.<task>) and a global service's (g.<node>.<task>).
const recorded = (name: string) =>
  toContainerInfo(JSON.parse(readFileSync(new URL(`../fixtures/inspect/${name}.json`, import.meta.url), 'utf8')) as Docker.ContainerInspectInfo);

describe('task containers in docker/', () => {
  it('reads a replicated task: service, slot, node and task id; service name for the service', () => {
    const c = recorded('swarm-task');
    expect(c.task).toEqual({ taskId: 'ypbw88t9qmvo6lg6ybuyuvy6d', service: 'web', slot: 1, node: 'sk6l0snghnrxgnprow65yedmv' });
    expect(c).toMatchObject({ service: 'web', restartPolicy: 'no', networkMode: 'host' });
  });

  it('reads a global task: no slot, the node instead', () => {
    expect(recorded('swarm-global-task').task).toEqual({ taskId: 'a9cxij9jjg037y7dyqp1jz7at', service: 'g', slot: undefined, node: 'sk6l0snghnrxgnprow65yedmv' });
  });

  it('a plain container is no task', () => {
    expect(recorded('host-network').task).toBeUndefined();
  });

  it('a stack task belongs to its stack, under the service name of the stack file', () => {
    const raw = JSON.parse(readFileSync(new URL('../fixtures/inspect/swarm-task.json', import.meta.url), 'utf8')) as Docker.ContainerInspectInfo;
    const labels = { ...raw.Config.Labels, 'com.docker.stack.namespace': 'shop', 'com.docker.swarm.service.name': 'shop_web', 'com.docker.swarm.task.name': 'shop_web.1.ypbw88t9qmvo6lg6ybuyuvy6d' };
    const c = toContainerInfo({ ...raw, Config: { ...raw.Config, Labels: labels } });
    expect(c).toMatchObject({ project: 'shop', service: 'web', task: { service: 'shop_web', slot: 1 } });
  });

  it('a service name with dots keeps its slot', () => {
    const labels = {
      'com.docker.swarm.task.id': 't1',
      'com.docker.swarm.service.name': 'shop.api',
      'com.docker.swarm.task.name': 'shop.api.12.t1',
      'com.docker.swarm.node.id': 'n1',
    };
    expect(swarmTask(labels)).toEqual({ taskId: 't1', service: 'shop.api', slot: 12, node: 'n1' });
    expect(swarmTask({ ...labels, 'com.docker.swarm.task.id': '' })).toBeUndefined();
    expect(swarmTask({ ...labels, 'com.docker.swarm.task.name': 'garbled' })?.slot).toBeUndefined();
  });
});

const rules = (over: Partial<Rules> = {}): Rules =>
  machineRules({ liveness: { failures: 3, successes: 1, startPeriodMs: 0 }, restartOnExit: true, task: { healthcheck: 'orchestrator', orphans: 'report' }, ...over });

function run(inputs: Input[], r: Rules, start: MachineState = initialState({ running: true, startedAt: 0 })) {
  let state = start;
  const types: string[] = [];
  for (const input of inputs) {
    const out = step(state, input, r);
    state = out.state;
    types.push(...out.actions.filter((a) => a.type !== 'wake').map((a) => (a.type === 'notify' ? a.event : a.type)));
  }
  return { state, types };
}
const fail = (at: number): Input => ({ type: 'probe', role: 'liveness', ok: false, at });

describe('the action layer for task containers', () => {
  it('replaces, never restarts or starts, whatever the action', () => {
    const task = rules();
    expect(actionFor({ kind: 'restart', reason: '', cause: 'liveness' }, task)).toBe('replace');
    expect(actionFor({ kind: 'restart', reason: '', cause: 'liveness' }, { ...task, action: 'stop' })).toBe('replace');
    expect(actionFor({ kind: 'restart', reason: '', cause: 'namespace' }, task)).toBe('replace');
    expect(actionFor({ kind: 'start', reason: '', cause: 'exit' }, task)).toBeUndefined();
    const plain = rules({ task: undefined });
    expect(actionFor({ kind: 'restart', reason: '', cause: 'liveness' }, plain)).toBe('restart');
    expect(actionFor({ kind: 'restart', reason: '', cause: 'liveness' }, { ...plain, action: 'stop' })).toBe('stop');
    expect(actionFor({ kind: 'start', reason: '', cause: 'exit' }, plain)).toBe('start');
    expect(startsAfterExit(task)).toBe(false);
    expect(startsAfterExit(plain)).toBe(true);
  });

  it("a task failing healer's probe is replaced once, then is history", () => {
    const { state, types } = run([fail(1), fail(2), fail(3), fail(4), { type: 'replaced', at: 5 }, fail(6), fail(7), fail(8)], rules());
    expect(types).toEqual(['unhealthy', 'replace']);
    expect(state).toMatchObject({ lifecycle: 'stopped', inFlight: false, pending: undefined });
  });

  it('dry-run withholds the replacement; notify only alerts', () => {
    expect(run([fail(1), fail(2), fail(3)], rules({ dryRun: true })).types).toEqual(['unhealthy', 'withheld']);
    expect(run([fail(1), fail(2), fail(3)], rules({ action: 'notify' })).types).toEqual(['unhealthy']);
  });

  it('a failed replacement is retried after the backoff, still as a replacement', () => {
    const r = rules();
    const { state } = run([fail(1), fail(2), fail(3), { type: 'restart_done', ok: false, error: 'refused', retry: { kind: 'restart', reason: 'x', cause: 'liveness' }, at: 4 }], r);
    expect(state.pending).toMatchObject({ kind: 'restart' });
    const out = step(state, { type: 'tick', at: 20_000 }, r);
    expect(out.actions.map((a) => a.type)).toEqual(['replace']);
  });

  it("a task's HEALTHCHECK is left to the orchestrator by default, acted on when configured", () => {
    const unhealthy: Input = { type: 'health', status: 'unhealthy', at: 1 };
    expect(run([unhealthy], rules()).types).toEqual(['unhealthy']);
    expect(run([unhealthy, { type: 'health', status: 'healthy', at: 2 }], rules()).types).toEqual(['unhealthy', 'recovered']);
    expect(run([unhealthy], rules({ task: { healthcheck: 'healer', orphans: 'report' } })).types).toEqual(['unhealthy', 'replace']);
    expect(run([unhealthy], rules({ task: undefined })).types).toEqual(['unhealthy', 'restart']);
  });

  it('an exited task is reported, never started, also when healer comes back to it', () => {
    const { state, types } = run([{ type: 'stopped', by: 'exit', exitCode: 3, oom: false, at: 1 }], rules());
    expect(types).toEqual(['died']);
    expect(state.lifecycle).toBe('exited');
    expect(resumeExited(state, 2, rules()).actions).toEqual([]);
    const again = initialState({ running: false, startedAt: 0, lastExit: { at: 1, exitCode: 3, oom: false } });
    expect(resumeExited(again, 2, rules()).actions).toEqual([]);
    expect(resumeExited(again, 2, rules({ task: undefined })).actions.map((a) => a.type)).toEqual(['start']);
  });
});

const ev = (action: string, extra: Partial<ContainerEvent> = {}): ContainerEvent => ({
  id: 'c1',
  name: 'web.1.x',
  action,
  health: undefined,
  exitCode: undefined,
  signal: undefined,
  labels: {},
  time: 0,
  ...extra,
});

describe('orphans', () => {
  const stopped: Input = { type: 'stopped', by: 'operator', at: 1 };
  it('a task started again outside its orchestrator is reported; handed back only when allowed', () => {
    expect(run([stopped, { type: 'started', at: 2 }, { type: 'orphaned', at: 2 }], rules()).types).toEqual(['orphan']);
    const { types, state } = run([stopped, { type: 'started', at: 2 }, { type: 'orphaned', at: 2 }], rules({ task: { healthcheck: 'orchestrator', orphans: 'remove' } }));
    expect(types).toEqual(['orphan', 'replace']);
    expect(state).toMatchObject({ inFlight: true, lifecycle: 'restarting' });
  });

  it('says nothing for a plain container, or one not running', () => {
    expect(run([stopped, { type: 'started', at: 2 }, { type: 'orphaned', at: 2 }], rules({ task: undefined })).types).toEqual([]);
    expect(run([stopped, { type: 'orphaned', at: 2 }], rules()).types).toEqual([]);
  });

  it('dry-run withholds the hand-back', () => {
    const r = rules({ dryRun: true, task: { healthcheck: 'orchestrator', orphans: 'remove' } });
    expect(run([stopped, { type: 'started', at: 2 }, { type: 'orphaned', at: 2 }], r).types).toEqual(['orphan', 'withheld']);
  });
});

describe('EventReader after a hand-back', () => {
  it("reads the stop's kill, die and stop as healer's, also after the engine answered", () => {
    const r = new EventReader();
    r.beginAction('replace');
    expect(r.read(ev('kill', { signal: '15' }), 1, undefined)).toBeUndefined();
    r.endAction(true);
    expect(r.read(ev('die', { exitCode: 143 }), 2, undefined)).toBeUndefined();
    expect(r.read(ev('stop'), 3, undefined)).toBeUndefined();
  });

  it('a hand-back the engine failed ends it: a later stop is an operator stop again', () => {
    const r = new EventReader();
    r.beginAction('replace');
    r.endAction(false);
    expect(r.read(ev('kill', { signal: '15' }), 1, undefined)).toBeUndefined();
    expect(r.read(ev('die', { exitCode: 143 }), 2, undefined)).toEqual({ type: 'stopped', by: 'operator', at: 2 });
  });

  it('an operator starting the container again ends it', () => {
    const r = new EventReader();
    r.beginAction('replace');
    r.endAction(true);
    expect(r.read(ev('start'), 1, undefined)).toEqual({ type: 'started', at: 1 });
    expect(r.read(ev('die', { exitCode: 3 }), 2, undefined)).toMatchObject({ type: 'stopped', by: 'exit', exitCode: 3 });
  });
});

describe('task labels', () => {
  const parse = (labels: Record<string, string>) => policyFromLabels({ labels, prefix: 'healer', containerName: 'web.1.x', rawDefaults: {}, imageHasHealthcheck: false });

  it('defaults: removed, HEALTHCHECK left to the orchestrator', () => {
    const r = parse({});
    expect(r.ok && r.policy.task).toEqual({ replace: 'remove', healthcheck: 'orchestrator', orphans: 'report' });
  });

  it('healer.task.replace and healer.task.healthcheck set them; a bad value names the label', () => {
    const r = parse({ 'healer.task.replace': 'stop', 'healer.task.healthcheck': 'healer', 'healer.task.orphans': 'remove' });
    expect(r.ok && r.policy.task).toEqual({ replace: 'stop', healthcheck: 'healer', orphans: 'remove' });
    expect(parse({ 'healer.task.replace': 'restart' })).toEqual({
      ok: false,
      errors: ['label healer.task.replace on container "web.1.x": "restart" is not a task replacement (one of remove, stop)'],
    });
  });
});

describe('services whose healer labels are service labels', () => {
  // Recorded `GET /services` of a manager: a service created with --label healer.enable=true and
  // --label healer.liveness=... (service labels) and --container-label other=x.
  const services = (JSON.parse(readFileSync(new URL('../fixtures/inspect/swarm-services.json', import.meta.url), 'utf8')) as Docker.Service[]).map(toServiceLabels);

  it('reads service and container labels apart', () => {
    expect(services).toEqual([{ name: 'svcl', labels: { 'healer.enable': 'true', 'healer.liveness': 'http://:18081/health' }, containerLabels: { other: 'x' } }]);
  });

  it('warns about healer labels only on the service, not about those its containers also get', () => {
    expect(serviceLabelWarnings(services, 'healer')).toEqual([
      'service svcl: healer.enable, healer.liveness are service labels (deploy.labels, or --label), which its containers do not get; healer reads container labels: put them under the service\'s labels: in the stack file (or --container-label)',
    ]);
    expect(serviceLabelWarnings([{ name: 'ok', labels: { 'healer.enable': 'true' }, containerLabels: { 'healer.enable': 'true' } }], 'healer')).toEqual([]);
    expect(serviceLabelWarnings(services, 'other')).toEqual([]);
  });
});
