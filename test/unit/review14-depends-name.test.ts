import { describe, expect, it } from 'vitest';
import { failingDependency } from '../../src/watchdog/guards.ts';

// Review 14 (adversarial, label author). Trigger: an operator's compose app (project "shop") labels its
// api `healer.depends_on=db`, meaning its compose service db (container shop-db-1). A label author on the
// same host starts a container NAMED "db" (free: compose names its container shop-db-1) with
// `healer.enable=true` and a liveness probe that always fails (`healer.action=notify` is enough: it only
// has to be failing).
// What happens: failingDependency() matches a dependency by compose service within the project OR by
// container name in any project, so the tenant's "db" counts as shop's db. While it fails, shop-api is
// held: healer never restarts it, and its alerts blame "db". One tenant switches off healing of another
// tenant's container, which SECURITY.md says a label author cannot do (only their own containers).
// What should happen: a name that is the compose service of the dependent's own project is that
// service; a container of another project (or none) named like it does not stand in for it. Here shop's
// own db is healthy, so nothing holds shop-api.

describe('review14: another project\'s container named like a dependency does not hold restarts', () => {
  it('shop-api depends_on db; shop-db-1 is healthy; a tenant container named "db" fails: not held', () => {
    const held = failingDependency({ project: 'shop', dependsOn: ['db'] }, [
      { name: 'shop-db-1', project: 'shop', service: 'db', failing: false },
      { name: 'db', project: undefined, service: undefined, failing: true },
    ]);
    expect(held).toBeUndefined();
  });
  it('the same with the tenant container in a compose project of its own', () => {
    const held = failingDependency({ project: 'shop', dependsOn: ['db'] }, [
      { name: 'shop-db-1', project: 'shop', service: 'db', failing: false },
      { name: 'db', project: 'tenant', service: 'web', failing: true },
    ]);
    expect(held).toBeUndefined();
  });
});
