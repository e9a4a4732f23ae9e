import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { checkContainers, dependencyNameWarnings } from '../../src/check.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { ContainerInfo } from '../../src/docker/types.ts';
import { StateFile } from '../../src/watchdog/state-file.ts';
import { fakeEngine, syntheticContainer } from '../helpers/fake-engine.ts';

// Since review 14 a plain depends_on name of a compose container means a service of its own project
// only. A configuration that named a container outside the project by its plain name now holds nothing:
// `healer check` says so and how to write it (`/name`), so the change is not a silent one.
describe('healer check warns about a depends_on name that is no service of the project', () => {
  it('names the container, the entry and the project, and suggests /name when a container has that name', async () => {
    const dir = mkdtempSync(`${tmpdir()}/healer-depname-`);
    try {
      const probe = { 'healer.enable': 'true', 'healer.liveness': 'http://:8080/health' };
      const api: ContainerInfo = { ...syntheticContainer(1, { ...probe, 'healer.depends_on': 'db,cache,legacy-db,/legacy-db' }), name: 'shop-api-1', project: 'shop', service: 'api' };
      const db: ContainerInfo = { ...syntheticContainer(2, probe), name: 'shop-db-1', project: 'shop', service: 'db' };
      const legacy: ContainerInfo = { ...syntheticContainer(3, probe), name: 'legacy-db', project: undefined, service: undefined };
      const log = pino({ level: 'silent' });
      const rows = await checkContainers(fakeEngine([api, db, legacy]).engine, loadConfig(undefined, {}), { ids: ['f'.repeat(64)], hostname: 'healer' }, new StateFile(`${dir}/state.json`, log), Date.now());
      expect(dependencyNameWarnings(rows)).toEqual([
        'container shop-api-1: healer.depends_on "cache" names no watched service of compose project "shop", so it holds nothing',
        'container shop-api-1: healer.depends_on "legacy-db" names no watched service of compose project "shop", so it holds nothing (a container named "legacy-db" is not a dependency: write "/legacy-db" to name it)',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
