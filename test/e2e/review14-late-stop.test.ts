import { connect, createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/servers.ts';
import { docker, engineSuite, fastLabels, isRunning, newRunId, recordEvents, runContainer, sleep, startTestHealer, waitFor } from '../helpers/engine.ts';

// Fourteenth adversarial review, on the real engine. Fails on the reviewed code.
//
// Trigger: the event stream runs behind the engine's answers (here a proxy in front of the socket hands
// the stream on 2.5 s late; a loaded engine or host, a slow proxy do the same), and an operator runs
// `docker stop` on an on_exit container whose app exits 1 on SIGTERM. Its liveness probe fails at once.
// What happens: healer decides a restart; the inspect before it finds the container exited with code 1,
// and with none of the stop's events read yet, downFromInspect (src/watchdog/actor.ts, skipped) takes
// it for a crash: `died`, and an on_exit *start* of the container the operator just stopped. The late
// kill/die/stop events change nothing: the container keeps running.
// What should happen: a container an operator stopped is never started (PRODUCT.md, Actions): an exit
// found only by inspect, whose `die` has not been read, waits for its events before it is judged.
const suite = engineSuite();

/** A proxy to the engine's socket that hands the event stream on `delayMs` late (in order); the rest at once. */
async function lateEventsProxy(delayMs: number): Promise<{ host: string; close(): Promise<void> }> {
  const all = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect('/var/run/docker.sock');
    all.add(client).add(upstream);
    let events = false;
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (chunk: Buffer) => {
      if (/^GET (\/v[\d.]+)?\/events/m.test(chunk.toString('latin1', 0, Math.min(chunk.length, 512)))) events = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (events) setTimeout(() => client.write(chunk), delayMs);
      else client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    host: `tcp://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of all) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('review14: docker stop of an on_exit container while the event stream runs 2.5 s behind', () => {
  it('leaves the container stopped', async () => {
    const runId = newRunId();
    const proxy = await lateEventsProxy(2500);
    suite.defer(() => proxy.close());
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    const port = await freePort();
    // On SIGTERM the app exits 1 (a handler that exits non-zero).
    const cmd = ['sh', '-c', `mkdir -p /www; echo ok > /www/health; httpd -p 127.0.0.1:${port} -h /www; trap "killall httpd; exit 1" TERM; while true; do sleep 0.2; done`];
    const labels = fastLabels(runId, `http://:${port}/health`, { 'healer.liveness.failures': '1', 'healer.restart.on_exit': 'true' });
    const id = await runContainer({ runId, name: 'api', labels, cmd });
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, DOCKER_HOST: proxy.host });
    suite.defer(() => h.stop());
    await waitFor('healthy', () => h.healer.watchdog.watches.get(id)?.state.liveness.up === true, 30_000);
    await docker.getContainer(id).stop({ t: 10 }); // the operator's `docker stop api`
    await sleep(8000); // the late events have long arrived
    expect(events.count(id, 'start')).toBe(1); // its first start only
    expect(await isRunning(id)).toBe(false);
  }, 90_000);
});
