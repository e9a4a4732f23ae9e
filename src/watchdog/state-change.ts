import type { ContainerWatch } from './container-watch.ts';
import type { MachineState } from './machine-types.ts';
import { openAlertsChanged } from './open-alerts.ts';

/** Where a watch's state change reaches outside the watch. */
export interface ChangeSinks {
  /** Its entry in the state file (written within the file's write gap). */
  persist(w: ContainerWatch): void;
  /** The state file to disk now. */
  flush(): Promise<boolean>;
  /** The mass-failure breaker looks again. */
  reassess(): void;
}

/**
 * What a watch's state change means outside it: which changes the state file keeps, which of them go to
 * disk at once rather than within the write gap, and when the breaker looks again. Apart from
 * watchdog.ts, which only wires, so that what reaches disk when (and why) is read in one place.
 */
export function stateChanged(w: ContainerWatch, before: MachineState, failingFlipped: boolean, to: ChangeSinks): void {
  const s = w.state;
  const alerted = openAlertsChanged(s, before);
  if (alerted || s.budget !== before.budget || s.lifecycle !== before.lifecycle || s.lastExit !== before.lastExit || s.owedStart !== before.owedStart) to.persist(w);
  // An alert opened or ended (open-alerts.ts) goes to disk at once too: a healer killed just after must
  // neither miss ending it nor end it a second time.
  if (alerted) void to.flush();
  // A crash loop opening (it opens as the restart that makes it is made, and is alerted) goes to disk at
  // once, as the restart itself did: a healer killed just after must find it open, not alert it again.
  if (s.budget.loop !== before.budget.loop && s.budget.loop !== 'closed') void to.flush();
  if (failingFlipped) to.reassess();
}
