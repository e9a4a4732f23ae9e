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
 * The first dependency of `self` that is failing now, by compose service name within its own project or
 * by container name; undefined when none is. Dependencies healer does not watch cannot be judged.
 */
export function failingDependency(self: { project: string | undefined; dependsOn: readonly string[] }, others: Iterable<DependencyView>): string | undefined {
  if (self.dependsOn.length === 0) return undefined;
  const list = [...others];
  for (const dep of self.dependsOn) {
    const matches = list.filter((o) => (o.project !== undefined && o.project === self.project && o.service === dep) || o.name === dep);
    if (matches.some((m) => m.failing)) return dep;
  }
  return undefined;
}
