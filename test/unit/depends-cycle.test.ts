import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { checkContainers, dependencyCycleWarnings } from '../../src/check.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { ContainerInfo } from '../../src/docker/types.ts';
import { dependencyCycles, dependencyHold, type DependencyView } from '../../src/watchdog/guards.ts';
import { StateFile } from '../../src/watchdog/state-file.ts';
import { fakeEngine, syntheticContainer } from '../helpers/fake-engine.ts';

// A depends_on cycle whose containers all fail held each for the other forever (review 14,
// test/unit/review14-depends-cycle.test.ts). A dependency waiting on the dependent is not failing first.
const c = (service: string, dependsOn: string[], failing = true): DependencyView => ({ name: `shop-${service}-1`, project: 'shop', service, failing, dependsOn });

describe('dependencyHold: a cycle of failing dependencies holds nothing, and is reported', () => {
  it('a -> b -> a, both failing: neither is held; the cycle names both containers', () => {
    const a = c('a', ['b']);
    const b = c('b', ['a']);
    expect(dependencyHold(a, [a, b])).toEqual({ heldBy: undefined, cycle: ['shop-a-1', 'shop-b-1', 'shop-a-1'] });
    expect(dependencyHold(b, [a, b])).toEqual({ heldBy: undefined, cycle: ['shop-b-1', 'shop-a-1', 'shop-b-1'] });
  });

  it('a -> b -> c -> a, all failing: none is held', () => {
    const all = [c('a', ['b']), c('b', ['c']), c('c', ['a'])];
    for (const v of all) expect(dependencyHold(v, all).heldBy).toBeUndefined();
    expect(dependencyHold(all[0] as DependencyView, all).cycle).toEqual(['shop-a-1', 'shop-b-1', 'shop-c-1', 'shop-a-1']);
  });

  it('replicas of a service depending on that service do not hold each other', () => {
    const r1: DependencyView = { ...c('web', ['web']), name: 'shop-web-1' };
    const r2: DependencyView = { ...c('web', ['web']), name: 'shop-web-2' };
    expect(dependencyHold(r1, [r1, r2]).heldBy).toBeUndefined();
    expect(dependencyHold(r2, [r1, r2]).heldBy).toBeUndefined();
  });

  it('outside a cycle a hold is as before: a chain, a healthy link, a dependency failing first', () => {
    // api -> db -> disk, db and disk failing: api and db are held (disk fails first).
    const chain = [c('api', ['db']), c('db', ['disk']), c('disk', [])];
    expect(dependencyHold(chain[0] as DependencyView, chain)).toEqual({ heldBy: 'db', cycle: undefined });
    expect(dependencyHold(chain[1] as DependencyView, chain)).toEqual({ heldBy: 'disk', cycle: undefined });
    // a -> b -> a, but b is healthy: nothing holds a (nothing fails), b is not held by a working a.
    const calm = [c('a', ['b']), c('b', ['a'], false)];
    expect(dependencyHold(calm[0] as DependencyView, calm).heldBy).toBeUndefined();
    // a -> b (failing), b -> a, but a's other dependency c fails on its own: a is held by c.
    const both = [c('a', ['b', 'c']), c('b', ['a']), c('c', [])];
    expect(dependencyHold(both[0] as DependencyView, both).heldBy).toBe('c');
    // api -> (a <-> b cycle), all failing: api waits (its dependency does not wait on api).
    const outer = [c('api', ['a']), c('a', ['b']), c('b', ['a'])];
    expect(dependencyHold(outer[0] as DependencyView, outer)).toEqual({ heldBy: 'a', cycle: undefined });
  });

  it('dependencyCycles lists each cycle once, also one hidden behind another dependency', () => {
    const all = [c('a', ['c', 'b']), c('b', ['c', 'a']), c('c', []), c('api', ['a'])];
    expect(dependencyCycles(all)).toEqual([['shop-a-1', 'shop-b-1', 'shop-a-1']]);
    expect(dependencyCycles([c('x', ['y']), c('y', [])])).toEqual([]);
  });
});

describe('healer check warns about a depends_on cycle', () => {
  it('names the containers of the cycle', async () => {
    const dir = mkdtempSync(`${tmpdir()}/healer-cycle-`);
    try {
      const probe = { 'healer.enable': 'true', 'healer.liveness': 'http://:8080/health' };
      const a: ContainerInfo = { ...syntheticContainer(1, { ...probe, 'healer.depends_on': 'b' }), name: 'shop-a-1', project: 'shop', service: 'a' };
      const b: ContainerInfo = { ...syntheticContainer(2, { ...probe, 'healer.depends_on': 'a' }), name: 'shop-b-1', project: 'shop', service: 'b' };
      const log = pino({ level: 'silent' });
      const rows = await checkContainers(fakeEngine([a, b]).engine, loadConfig(undefined, {}), { ids: ['f'.repeat(64)], hostname: 'healer' }, new StateFile(`${dir}/state.json`, log), Date.now());
      expect(dependencyCycleWarnings(rows)).toEqual(["healer.depends_on cycle: shop-a-1 -> shop-b-1 -> shop-a-1: while all of them fail, none holds another's restart"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
