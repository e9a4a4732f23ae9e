import type Docker from 'dockerode';
import { docker, engineSuite, recordEvents, runContainer, startTestHealer, waitFor } from './engine.ts';

/**
 * A healthy HEALTHCHECK container `backup` (checks `test` every 500 ms, 2 retries) watched by a healer
 * scoped to `runId`, paused until the engine calls it unhealthy (its checks are refused while frozen),
 * and left paused; the run's engine events recorded from before it was created. The pause tests then
 * unpause it and say what healer must (not) do. Everything is left to `suite`'s clean-up.
 */
export async function pausedUntilUnhealthy(
  suite: ReturnType<typeof engineSuite>,
  runId: string,
  test: string[],
): Promise<{ id: string; c: Docker.Container; events: Awaited<ReturnType<typeof recordEvents>> }> {
  const events = await recordEvents(runId);
  suite.defer(() => events.close());
  const labels = { 'healer.enable': 'true', 'healer.scope': runId, 'healer.restart.timeout': '1s' };
  const cmd = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'];
  const id = await runContainer({ runId, name: 'backup', labels, cmd, healthcheck: { test, intervalMs: 500, retries: 2 } });
  const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId });
  suite.defer(() => h.stop());
  const c = docker.getContainer(id);
  await waitFor('healthy', async () => (await c.inspect()).State.Health?.Status === 'healthy');
  await waitFor('watched', () => h.healer.watchdog.watches.has(id));
  await c.pause();
  await waitFor('unhealthy while paused', async () => (await c.inspect()).State.Health?.Status === 'unhealthy', 15_000);
  return { id, c, events };
}
