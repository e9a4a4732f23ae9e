import { afterEach } from 'vitest';
import { World } from './harness.ts';

/**
 * Registers the disposal of the worlds a test file makes (after each test, passed or failed, so no
 * timers or temp directories leak into the next) and returns the function that makes one.
 */
export function worldsPerTest(): () => Promise<World> {
  const worlds: World[] = [];
  afterEach(async () => {
    for (const w of worlds.splice(0)) await w.dispose();
  });
  return async () => {
    const w = await World.create();
    worlds.push(w);
    return w;
  };
}
