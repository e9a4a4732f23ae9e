import type { ProbeRules } from '../config/confine.ts';
import type { Policy } from '../config/policy.ts';
import type { ContainerEvent, ContainerInfo } from '../docker/types.ts';
import type { ContainerWatch, WatchEffects } from './container-watch.ts';
import type { DiscoveryHost, LabelProblem } from './discovery.ts';
import type { HistorySink } from './history.ts';
import type { MatchBudget } from './match-budget.ts';
import type { TaskSlots } from './slot-watch.ts';
import type { PersistedContainer } from './state-file.ts';
import { NO_OBSERVER } from './watch-types.ts';
import { createWatch } from './watch-factory.ts';
import type { WatchdogDeps } from './watchdog-deps.ts';

/** The watchdog's pieces a watch is made from and let go with (watchdog.ts holds them). */
export interface DiscoveryHostParts {
  readonly deps: WatchdogDeps;
  readonly watches: Map<string, ContainerWatch>;
  readonly problems: Map<string, LabelProblem>;
  /** Read at each question: SIGTERM may come between two. */
  stopping(): boolean;
  engineUp(): boolean;
  readonly effects: WatchEffects;
  readonly rules: ProbeRules;
  readonly history: HistorySink;
  readonly slots: TaskSlots;
  readonly matchBudget: MatchBudget;
  /** Routes an event held during the container's first inspect, as a replayed one (event-router.ts). */
  replay(ev: ContainerEvent): void;
  /** A watch went: the mass-failure breaker looks again. */
  reassess(): void;
}

/**
 * What Discovery may do to the watch registry: make a watch with what every watch shares
 * (watch-factory.ts), replay an event held for it, and let one go. Apart from watchdog.ts, which keeps
 * the wiring, so that how a watch comes and goes is read in one place.
 */
export function discoveryHost(h: DiscoveryHostParts): DiscoveryHost {
  const { deps } = h;
  return {
    watches: h.watches,
    problems: h.problems,
    get stopping() {
      return h.stopping();
    },
    create: (info: ContainerInfo, policy: Policy, persisted: PersistedContainer | undefined) =>
      createWatch(info, policy, persisted, {
        probers: deps.probers,
        observer: deps.observer ?? NO_OBSERVER,
        clock: deps.clock,
        log: deps.log,
        effects: h.effects,
        rules: h.rules,
        selfNetwork: deps.selfNetwork,
        lookup: deps.lookup,
        dryRun: deps.loaded.config.dry_run,
        history: h.history,
        slots: h.slots,
        info: (id) => h.watches.get(id)?.info,
        engineUp: () => h.engineUp(),
        matchBudget: h.matchBudget,
      }),
    replay: (ev: ContainerEvent) => h.replay(ev),
    release: (w: ContainerWatch, removed: boolean) => {
      void w.close();
      if (removed) deps.alerter.containerGone(w.id);
      h.reassess();
    },
  };
}
