import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { expect } from 'vitest';
import { docker, engineSuite, runContainer, spawnHealer, waitFor } from './engine.ts';

// The set-up the e2e tests of a restart cut by healer's SIGKILL share (s23, s24): one place for it.

/** A state directory for the healers of one test (the second must read what the first wrote), removed by `suite`. */
export function stateDir(suite: ReturnType<typeof engineSuite>, prefix: string): string {
  const dir = mkdtempSync(`${tmpdir()}/${prefix}`);
  suite.defer(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A container unhealthy (its HEALTHCHECK) on its first run only and slow to stop (its SIGTERM trap
 * sleeps `trapS` s, then exits 0), restart timeout 10 s: healer restarts it once, and a healer killed
 * during that restart leaves it down. Returns its id.
 */
export function runBrokenOnce(runId: string, name: string, trapS: number): Promise<string> {
  const cmd = ['sh', '-c', `rm -f /tmp/broken; [ -f /tmp/ran ] || touch /tmp/ran /tmp/broken; trap 'sleep ${trapS}; exit 0' TERM; while :; do sleep 0.2; done`];
  return runContainer({
    runId,
    name,
    labels: { 'healer.enable': 'true', 'healer.scope': runId, 'healer.restart.timeout': '10s' },
    cmd,
    healthcheck: { test: ['CMD-SHELL', 'test ! -f /tmp/broken'], intervalMs: 500, retries: 1 },
  });
}

type Spawned = ReturnType<typeof spawnHealer>;

/** The `second` healer starts the container `id` as the owed start of `first`'s cut restart: with that restart's reason. */
export async function expectOwedStart(first: Spawned, second: Spawned, id: string): Promise<void> {
  await waitFor('the second healer starts it', async () => (await docker.getContainer(id).inspect()).State.Running, 30_000);
  const reason = first.lines.find((l) => l.msg === 'restarting container')?.reason;
  expect(typeof reason).toBe('string');
  expect(second.lines.filter((l) => l.msg === 'starting container').map((l) => l.reason)).toEqual([reason]);
}
