import type { Engine } from '../docker/engine.ts';
import type { ContainerWatch } from './container-watch.ts';

const REPLACED = {
  remove: 'removed so its orchestrator replaces it',
  stop: 'stopped so its orchestrator replaces it',
  kept: 'stopped so its orchestrator replaces it (the engine refused to remove it, so it stays as task history)',
} as const;

/**
 * How a task container is handed back to its orchestrator (`replace`): stopped, then removed unless
 * `task.replace` keeps it, and what the alert then says. Apart from actor.ts, which decides whether and
 * when to act on fresh information; this holds the one action whose engine calls are several and whose
 * refused remove is no failure, and remembers that refusal until the alert has said so.
 */
export class HandBack {
  private readonly deps: { readonly engine: Pick<Engine, 'stop' | 'inspect' | 'remove'> };
  /** Task containers whose hand-back stopped them but whose remove the engine refused (kept as history). */
  private readonly notRemoved = new WeakSet<ContainerWatch>();

  constructor(deps: { readonly engine: Pick<Engine, 'stop' | 'inspect' | 'remove'> }) {
    this.deps = deps;
  }

  /**
   * Hands a task container back to its orchestrator: stopped with its grace (the orchestrator sees the
   * task fail and starts a new one), then removed unless `task.replace` keeps it as task history.
   */
  async send(w: ContainerWatch, reason: string, timeoutMs: number): Promise<boolean> {
    const how = w.policy.task.replace;
    w.log.warn({ reason, action: 'replace', how, timeoutMs, service: w.info.task?.service, slot: w.info.task?.slot }, `${how === 'remove' ? 'removing' : 'stopping'} task container so its orchestrator replaces it`);
    w.events.beginAction('replace');
    this.notRemoved.delete(w);
    await this.deps.engine.stop(w.id, timeoutMs).catch(async (err: unknown) => {
      // The engine may have stopped it and lost its answer (a proxy timing out): stopped is handed back.
      const fresh = await this.deps.engine.inspect(w.id).catch(() => undefined);
      if (!fresh || fresh.running) throw err;
      w.info = fresh;
      w.log.warn({ action: 'replace', err: (err as Error).message }, 'the engine failed its answer to the stop, but the task container is stopped: handed back');
    });
    // Stopped is handed back (the orchestrator has seen the task fail and starts a new one): a remove the
    // engine refuses leaves task history, not a failed action (whose stop would then read as a crash).
    if (how === 'remove') {
      await this.deps.engine.remove(w.id).catch((err: unknown) => {
        this.notRemoved.add(w);
        w.log.warn({ action: 'replace', err: (err as Error).message }, 'task container stopped but not removed; it stays as task history');
      });
    }
    const removed = how === 'remove' && !this.notRemoved.has(w);
    w.log.info({ action: 'replace', how, event: 'replaced' }, `task container ${removed ? 'removed' : 'stopped'}; its orchestrator starts a new one`);
    return true;
  }

  /** What the `restarted` alert of a finished hand-back says (and the refused remove is forgotten). */
  said(w: ContainerWatch, reason: string): string {
    const how = this.notRemoved.delete(w) ? 'kept' : w.policy.task.replace;
    return `${REPLACED[how]}: ${reason}`;
  }
}
