import type { Actor, AlertSink } from './actor.ts';
import { containerAlert, stopFailedSummary } from './alert-input.ts';
import type { Clock } from './clock.ts';
import type { ContainerWatch } from './container-watch.ts';
import { dependencyHold, type DependencyView } from './guards.ts';
import { recordAction, type HistorySink } from './history.ts';
import type { MachineState } from './machine-types.ts';
import { describeAction } from './narrate.ts';
import type { TaskSlots } from './slot-watch.ts';
import type { Observer, WatchEffects } from './watch-types.ts';

/** What the watches' effects reach in the watchdog: the actor, alerting, history, the host-wide guards. */
export interface EffectsHost {
  readonly actor: Actor;
  readonly alerter: AlertSink;
  readonly history: HistorySink;
  readonly slots: TaskSlots;
  readonly observer: Observer;
  readonly clock: Clock;
  readonly watches: ReadonlyMap<string, ContainerWatch>;
  /** The mass-failure breaker is open. */
  paused(): boolean;
  /** A watch's state changed: persisted, and the breaker looks again when failing flipped. */
  changed(w: ContainerWatch, before: MachineState, failingFlipped: boolean): void;
}

/**
 * How a watch's decisions leave it: actions to the actor, notifications to the log, history and
 * alerting (a task's through its service slot), and the context each decision is taken in.
 */
export function watchEffects(h: EffectsHost): WatchEffects {
  // The cycle last logged per watch, so a cycle is logged when it appears, not at every probe.
  const cycles = new WeakMap<ContainerWatch, string>();
  /** Asked on every probe result: only containers with dependencies pay for looking at the others. */
  const heldBy = (w: ContainerWatch): string | undefined => {
    if (w.policy.dependsOn.length === 0) return undefined;
    const view = (o: ContainerWatch): DependencyView => ({ name: o.name, project: o.info.project, service: o.info.service, failing: o.failing, dependsOn: o.policy.dependsOn });
    const me = view(w);
    const hold = dependencyHold(me, [me, ...[...h.watches.values()].filter((o) => o !== w).map(view)]);
    const cycle = hold.cycle?.join(' -> ');
    if (cycle !== undefined && cycles.get(w) !== cycle) {
      w.log.warn({ cycle }, 'healer.depends_on cycle: the dependency waits on this container, so it does not hold its restart');
    }
    if (cycle === undefined) cycles.delete(w);
    else cycles.set(w, cycle);
    return hold.heldBy;
  };
  return {
    act: (w, kind, reason, cause) => h.actor.act(w, kind, reason, cause),
    notify: (w, action) => {
      const line = describeAction(action);
      if (line) w.log[line.level](line.fields, line.msg);
      if (action.type === 'notify' && action.event === 'recovered' && action.recoveryMs !== undefined) h.observer.recovered(action.recoveryMs / 1000);
      recordAction(h.history, w, action, h.clock.now());
      // A task's failure counts in its service slot; while the slot loops, its crashloop alert speaks for it.
      if (action.type === 'replace' && action.cause !== 'orphan') h.slots.failed(w, { kind: 'replaced' });
      const died = action.type === 'notify' && action.event === 'died';
      // A clean exit (code 0, not OOM-killed) is a job that did its work: logged and in the history, never paged.
      const clean = died && action.exitCode === 0 && action.oom !== true;
      const quiet = died && (!h.slots.failed(w, { kind: 'exit', exitCode: action.exitCode ?? -1 }) || clean);
      if (action.type === 'notify' && !quiet) {
        const extra = {
          ...(action.recoveryMs !== undefined ? { recoveryMs: action.recoveryMs } : {}),
          ...(action.exitCode !== undefined ? { exitCode: action.exitCode, oom: action.oom ?? false } : {}),
          ...(action.failed === 'stop' ? { summary: stopFailedSummary(w.name) } : {}),
        };
        // A hold an earlier healer alerted already: told again to Alertmanager only, firing since then.
        const kept = action.kept !== undefined ? { reopened: { at: action.kept } } : {};
        h.alerter.emit(containerAlert(w, action.event, action.reason, h.clock.now(), { ...extra, ...kept }));
      }
    },
    reopen: (w, event, since) => {
      const what = {
        unhealthy: `unhealthy since ${new Date(since).toISOString()}`,
        not_ready: `not ready since ${new Date(since).toISOString()}`,
        crashloop: 'crash loop still going on',
        restart_failed: 'still not running or failing since healer could not restart it',
      }[event];
      const reason = `${what}, alerted before healer restarted`;
      h.alerter.emit(containerAlert(w, event, reason, h.clock.now(), { reopened: { at: since } }));
    },
    context: (w) => ({ heldBy: heldBy(w), paused: h.paused(), stopping: w.events.stopSignalled(h.clock.now()), stopUntil: w.events.stopUntil }),
    changed: (w, before, failingFlipped) => h.changed(w, before, failingFlipped),
  };
}
