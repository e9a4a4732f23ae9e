import type { Logger } from 'pino';
import type { ProbeRules } from '../config/confine.ts';
import type { Policy } from '../config/policy.ts';
import { OUTSIDE_DOCKER, type SelfNetwork } from '../docker/address.ts';
import type { ContainerInfo } from '../docker/types.ts';
import type { PolledKind } from '../probes/index.ts';
import type { Lookup } from '../probes/pin.ts';
import type { Prober } from '../probes/types.ts';
import type { Clock } from './clock.ts';
import { ContainerWatch, type Observer, type WatchEffects } from './container-watch.ts';
import { probeAddress } from './discover.ts';
import type { HistorySink } from './history.ts';
import type { MatchBudget } from './match-budget.ts';
import { routeProbe } from './probe-route.ts';
import type { TaskSlots } from './slot-watch.ts';
import { onExitNote } from './watch-rules.ts';
import type { PersistedContainer } from './state-file.ts';

/** What every watch shares: the watchdog's probers, clock, effects and views of the other watches. */
export interface WatchFactoryDeps {
  readonly probers: Readonly<Record<PolledKind, Prober>>;
  readonly observer: Observer;
  readonly clock: Clock;
  readonly log: Logger;
  readonly effects: WatchEffects;
  readonly rules: ProbeRules;
  readonly selfNetwork: SelfNetwork | undefined;
  readonly lookup: Lookup | undefined;
  readonly dryRun: boolean;
  readonly history: HistorySink;
  readonly slots: TaskSlots;
  /** Another watched container's info, for a probe of a container sharing its network namespace. */
  readonly info: (id: string) => ContainerInfo | undefined;
  readonly engineUp: () => boolean;
  readonly matchBudget: MatchBudget;
}

/**
 * Makes the watch of a newly discovered container and says so: its probes routed where its labels and
 * network let them go (judged again at each probe), and, for a Swarm task, its slot's failures counted
 * from what it already shows (a task found exited by a crash).
 */
export function createWatch(info: ContainerInfo, policy: Policy, persisted: PersistedContainer | undefined, deps: WatchFactoryDeps): ContainerWatch {
  const bind = (i: ContainerInfo): Logger => deps.log.child({ container: i.name, id: i.id.slice(0, 12), service: i.service, project: i.project });
  const watch = new ContainerWatch(
    info,
    policy,
    {
      probers: deps.probers,
      observer: deps.observer,
      clock: deps.clock,
      log: bind(info),
      relog: bind,
      effects: deps.effects,
      route: (w, p, signal) => {
        const addr = probeAddress(w.info, w.policy, deps.selfNetwork ?? OUTSIDE_DOCKER, deps.info);
        return routeProbe(p, w.info, addr, deps.rules, signal, deps.lookup);
      },
      dryRun: deps.dryRun,
      engineUp: deps.engineUp,
      history: deps.history,
      matchBudget: deps.matchBudget,
    },
    persisted,
  );
  watch.log.info(
    {
      liveness: watch.policy.liveness?.spec.kind ?? 'none',
      readiness: watch.policy.readiness?.spec.kind ?? 'none',
      // A task is handed back to its orchestrator, never restarted (action-policy.ts).
      action: info.task && watch.policy.action !== 'notify' ? `replace (${watch.policy.task.replace})` : watch.policy.action,
      restartsInWindow: watch.state.budget.restarts.length,
      loop: watch.state.budget.loop,
    },
    'watching container',
  );
  const note = onExitNote(watch.policy, info);
  if (note) watch.log.info(note);
  deps.slots.found(watch);
  return watch;
}
