import type { Engine } from '../docker/engine.ts';
import type { Clock } from './clock.ts';
import type { ContainerWatch } from './container-watch.ts';

/**
 * How long after an owner's start by someone else its children are looked at: an operator's `docker
 * compose restart` restarts the owner and then its children, and a child that has its stop signal (or
 * has started again) by then is not healer's to restart.
 */
export const NAMESPACE_SETTLE_MS = 1_000;

export interface NamespaceDeps {
  readonly engine: Pick<Engine, 'inspect'>;
  readonly clock: Clock;
  readonly watches: () => Iterable<ContainerWatch>;
}

/**
 * Containers in X's network namespace (`network_mode: container:X`, compose `service:X`) keep X's old
 * namespace when X starts again, and are without network until they are restarted. Whoever started X
 * (healer, the engine's restart policy, an operator), its watched running children that started before
 * X's new start are asked to restart, once per start of X, through their own decisions (budget, backoff,
 * breaker, dry-run and notify-only all apply). A child started after X's new start has the new one.
 */
export class NamespaceChildren {
  private readonly deps: NamespaceDeps;
  /** The owner's start each child was last asked to restart for: one request per start of the owner. */
  private readonly askedFor = new WeakMap<ContainerWatch, number>();

  constructor(deps: NamespaceDeps) {
    this.deps = deps;
  }

  /** The engine says X started (whoever started it): its children are looked at once things settle. */
  started(ownerId: string, ownerName: string): void {
    if (this.children(ownerId, ownerName).length === 0) return; // the common case: nobody shares it
    const timer = this.deps.clock.setTimeout(() => void this.ownerStarted({ id: ownerId, name: ownerName }, 'started again'), NAMESPACE_SETTLE_MS);
    timer.unref?.();
  }

  /**
   * X started again (`how`: what happened to it, for the reason): its children that still have its old
   * namespace are asked to restart. Errors (the engine unreachable) leave them as they are.
   */
  async ownerStarted(x: { readonly id: string; readonly name: string }, how: string): Promise<void> {
    if (this.children(x.id, x.name).length === 0) return;
    const owner = await this.deps.engine.inspect(x.id).catch(() => undefined);
    if (!owner || !owner.running || owner.restarting) return;
    // healer's own restart of X is under way: its end asks for the children (with its own reason).
    if ([...this.deps.watches()].some((w) => w.id === owner.id && w.state.inFlight)) return;
    for (const child of this.children(owner.id, owner.name)) {
      if (child.state.lifecycle !== 'running' || child.state.inFlight || this.askedFor.get(child) === owner.startedAt) continue;
      const fresh = await this.deps.engine.inspect(child.id).catch(() => undefined);
      if (!fresh || !fresh.running || fresh.paused || fresh.restarting || fresh.startedAt >= owner.startedAt) continue;
      // Asked once per start of X, whichever of the engine's event and healer's own restart came first.
      if (this.askedFor.get(child) === owner.startedAt) continue;
      this.askedFor.set(child, owner.startedAt);
      child.feed({ type: 'restart_requested', reason: `shares the network namespace of ${owner.name}, which was ${how}`, at: this.deps.clock.now() });
    }
  }

  /** Watched containers in X's namespace (the engine names X by id; by name when one was given so). */
  private children(ownerId: string, ownerName: string): ContainerWatch[] {
    const modes = new Set([`container:${ownerId}`, `container:${ownerName.replace(/^\//, '')}`]);
    return [...this.deps.watches()].filter((w) => modes.has(w.info.networkMode));
  }
}
