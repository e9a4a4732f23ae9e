import { pino } from 'pino';
import { policyFromLabels } from '../../src/config/labels.ts';
import type { ContainerInfo } from '../../src/docker/types.ts';
import type { Clock } from '../../src/watchdog/clock.ts';
import { ContainerWatch, NO_OBSERVER } from '../../src/watchdog/container-watch.ts';

/**
 * A ContainerWatch of `info` under the policy its `labels` give, that probes nothing and acts on
 * nothing: for the tests of what is kept about a watch (task slots, restart windows, orphans).
 */
export function inertWatch(info: ContainerInfo, labels: Record<string, string>, clock: Clock): ContainerWatch {
  const result = policyFromLabels({ labels, prefix: 'healer', containerName: info.name, rawDefaults: {}, imageHasHealthcheck: false });
  if (!result.ok) throw new Error(result.errors.join('; '));
  return new ContainerWatch(info, result.policy, {
    probers: {} as never,
    observer: NO_OBSERVER,
    clock,
    log: pino({ level: 'silent' }),
    effects: { act: () => Promise.resolve(), notify: () => undefined, context: () => ({ heldBy: undefined, paused: false }), changed: () => undefined },
    route: (w) => ({ ok: true, target: { containerId: w.id, address: '127.0.0.1' } }),
    dryRun: false,
  });
}

/**
 * Task `task`'s container `name`, of slot 1 of `service` (web) on node `node` (n1): exited with code 3
 * unless `running`, started and finished at 0, no labels of its own.
 */
export function taskContainer(name: string, task: string, opts: { service?: string; node?: string; running?: boolean } = {}): ContainerInfo {
  const running = opts.running ?? false;
  return {
    id: `c-${task}`, name, image: 'img', labels: {}, running, paused: false, restarting: false, startedAt: 0, finishedAt: 0, exitCode: running ? 0 : 3, oomKilled: false, restartCount: 0,
    restartPolicy: 'no', health: undefined, hasHealthcheck: false, stopSignal: undefined, networkMode: 'host', networks: {}, project: undefined, service: undefined,
    task: { taskId: task, service: opts.service ?? 'web', slot: 1, node: opts.node ?? 'n1' },
  };
}
