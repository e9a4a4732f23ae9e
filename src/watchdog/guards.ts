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

/**
 * The first dependency of `self` that is failing now (see dependencyMatches for what a name means);
 * undefined when none is. Dependencies healer does not watch cannot be judged.
 */
export function failingDependency(self: { project: string | undefined; dependsOn: readonly string[] }, others: Iterable<DependencyView>): string | undefined {
  if (self.dependsOn.length === 0) return undefined;
  const list = [...others];
  for (const dep of self.dependsOn) {
    if (dependencyMatches(self.project, dep, list).some((m) => m.failing)) return dep;
  }
  return undefined;
}
