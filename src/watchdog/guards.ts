/**
 * Host-wide guards, as pure functions over what the watches report.
 */

export interface MassFailureRule {
  readonly fraction: number;
  readonly minContainers: number;
}

/**
 * The mass-failure breaker: open while more than `fraction` of at least `minContainers` watched
 * containers fail at once. A host-wide failure (network, disk, a shared database) is not fixed by
 * restarting everything, and restarting everything makes it worse.
 */
export function breakerOpen(failing: number, watched: number, rule: MassFailureRule): boolean {
  return watched >= rule.minContainers && failing / watched > rule.fraction;
}

export interface DependencyView {
  readonly name: string;
  readonly project: string | undefined;
  readonly service: string | undefined;
  readonly failing: boolean;
  /** Its own `healer.depends_on`, to see a chain of holds lead back to the dependent; absent: none. */
  readonly dependsOn?: readonly string[];
}

/**
 * The containers a `healer.depends_on` entry names, for a dependent in `project`. Inside a compose
 * project (or stack) a plain name is a service of that same project only: container names are chosen by
 * whoever creates a container, so a tenant's container named `db` must not stand in for the project's db
 * (review 14). `/name` names a container explicitly, Docker's own spelling, for a dependency outside the
 * project. Outside compose a plain name is a container name.
 */
export function dependencyMatches<T extends DependencyView>(project: string | undefined, dep: string, list: readonly T[]): T[] {
  if (dep.startsWith('/')) return list.filter((o) => o.name === dep.slice(1));
  if (project !== undefined) return list.filter((o) => o.project === project && o.service === dep);
  return list.filter((o) => o.name === dep);
}

/** Whether a container's restart waits on a dependency, and a dependency cycle that did not hold it. */
export interface Hold {
  /** The depends_on entry naming a dependency that is failing first. */
  readonly heldBy: string | undefined;
  /** Container names around a cycle of failing dependencies back to this one (`a, b, a`), which holds nothing. */
  readonly cycle: readonly string[] | undefined;
}

/**
 * Whether `self` (one of `all`, by identity) waits on a failing dependency. A failing dependency that is
 * itself waiting, through failing dependencies, on `self` is not failing first: holding both would hold
 * each for the other forever (a depends on b and b on a, or replicas of a service depending on it), so
 * it holds nothing and the cycle is reported. Without such a cycle the answer is the plain one.
 */
export function dependencyHold(self: DependencyView, all: readonly DependencyView[]): Hold {
  let cycle: string[] | undefined;
  for (const dep of self.dependsOn ?? []) {
    const failing = dependencyMatches(self.project, dep, all).filter((m) => m !== self && m.failing);
    let first = false;
    for (const m of failing) {
      const back = chainTo(m, self, all);
      if (back === undefined) first = true;
      else cycle ??= [self.name, ...back];
    }
    if (first) return { heldBy: dep, cycle: undefined };
  }
  return { heldBy: undefined, cycle };
}

/** The names along a chain of failing dependencies from `from` to `target` (both included), or undefined. */
function chainTo(from: DependencyView, target: DependencyView, all: readonly DependencyView[]): string[] | undefined {
  const parent = new Map<DependencyView, DependencyView | undefined>([[from, undefined]]);
  const queue = [from];
  for (let i = 0; i < queue.length; i++) {
    const at = queue[i] as DependencyView;
    for (const dep of at.dependsOn ?? []) {
      for (const next of dependencyMatches(at.project, dep, all)) {
        if (next === target) {
          const names = [target.name];
          for (let v: DependencyView | undefined = at; v !== undefined; v = parent.get(v)) names.unshift(v.name);
          return names;
        }
        if (next === at || !next.failing || parent.has(next)) continue;
        parent.set(next, at);
        queue.push(next);
      }
    }
  }
  return undefined;
}

/**
 * The dependency cycles among containers' `healer.depends_on` (each once, as container names from and
 * back to its first member), for `healer check`: if all of a cycle's containers fail together, none
 * holds another (dependencyHold), which its author may not expect.
 */
export function dependencyCycles(all: readonly DependencyView[]): string[][] {
  const failing = all.map((v) => ({ ...v, failing: true }));
  const seen = new Set<string>();
  const cycles: string[][] = [];
  for (const v of failing) {
    for (const dep of v.dependsOn ?? []) {
      for (const m of dependencyMatches(v.project, dep, failing)) {
        const back = m === v ? undefined : chainTo(m, v, failing);
        if (back === undefined) continue;
        const key = [...new Set(back)].sort().join('\n');
        if (!seen.has(key)) cycles.push([v.name, ...back]);
        seen.add(key);
      }
    }
  }
  return cycles;
}

/**
 * The first dependency of `self` that is failing now, given the other containers (without `self`); see
 * dependencyMatches for what a name means and dependencyHold for cycles. Dependencies healer does not
 * watch cannot be judged.
 */
export function failingDependency(self: { project: string | undefined; dependsOn: readonly string[] }, others: Iterable<DependencyView>): string | undefined {
  if (self.dependsOn.length === 0) return undefined;
  const me: DependencyView = { name: '', project: self.project, service: undefined, failing: true, dependsOn: self.dependsOn };
  return dependencyHold(me, [me, ...others]).heldBy;
}
