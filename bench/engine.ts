// npm run bench (part 3): what healer asks of the engine, and how fast it is back after the engine was.
//  1. Engine API requests per minute with 200 idle, healthy, watched containers (HTTP probes on
//     loopback), counted by a byte proxy in front of the socket. The event stream is one long request.
//  2. Recovery: the engine is stopped and started again; time from the engine answering to healer
//     being connected and resynchronised (watching, able to heal), over BENCH_RECOVERY_RUNS runs.
import { pino } from 'pino';
import { loadConfig } from '../src/config/load.ts';
import { startHealer } from '../src/main.ts';
import { startEngineProxy } from '../test/helpers/engine-proxy.ts';
import { appCommand, docker, newRunId, removeTestContainers, requireEngine, runContainer, stopEngine, waitFor } from '../test/helpers/engine.ts';
import { freePort } from '../test/helpers/servers.ts';
import { median, targetServer } from './common.ts';

const IDLE = Number(process.env.BENCH_IDLE_CONTAINERS ?? 200);
const WINDOW_S = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const RECOVERY_RUNS = Number(process.env.BENCH_RECOVERY_RUNS ?? 3);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quiet = pino({ level: 'silent' });

export async function engineLoadBench(): Promise<{ perMinute: number; byCall: Record<string, number>; containers: number }> {
  await requireEngine();
  await removeTestContainers();
  const runId = newRunId();
  const targets = await targetServer();
  const proxy = await startEngineProxy();
  const cmd = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 5; done'];
  try {
    for (let i = 0; i < IDLE; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, IDLE - i) }, (_, k) =>
          runContainer({ runId, name: `idle${i + k}`, cmd, labels: { 'healer.enable': 'true', 'healer.scope': runId, 'healer.liveness': `http://127.0.0.1:${targets.port}/${i + k}`, 'healer.liveness.interval': '1s' } }),
        ),
      );
    }
    const healer = await startHealer({
      loaded: loadConfig(undefined, { HEALER_DISCOVERY_SCOPE: runId, HEALER_STATE_PATH: `/tmp/healer-bench-idle-${runId}.json`, HEALER_SERVER_LISTEN: '127.0.0.1:0', DOCKER_HOST: proxy.host }),
      log: quiet,
    });
    try {
      await waitFor('all watched and healthy', () => healer.watchdog.status().containers.filter((c) => c.state === 'healthy').length === IDLE, 60_000);
      await sleep(3000);
      const before = proxy.requests.length;
      await sleep(WINDOW_S * 1000);
      const during = proxy.requests.slice(before);
      const byCall: Record<string, number> = {};
      for (const r of during) {
        const key = r.replace(/\/containers\/[0-9a-f]{12,}/, '/containers/{id}');
        byCall[key] = (byCall[key] ?? 0) + 1;
      }
      return { perMinute: (during.length * 60) / WINDOW_S, byCall, containers: IDLE };
    } finally {
      await healer.stop(5000);
    }
  } finally {
    await proxy.close();
    targets.stop();
    await removeTestContainers(runId);
  }
}

export async function recoveryBench(): Promise<number[]> {
  await requireEngine();
  const runId = newRunId();
  const port = await freePort();
  await runContainer({ runId, name: 'rec', cmd: appCommand(port), restartPolicy: 'always', labels: { 'healer.enable': 'true', 'healer.scope': runId, 'healer.liveness': `http://:${port}/health` } });
  const healer = await startHealer({ loaded: loadConfig(undefined, { HEALER_DISCOVERY_SCOPE: runId, HEALER_STATE_PATH: `/tmp/healer-bench-rec-${runId}.json`, HEALER_SERVER_LISTEN: '127.0.0.1:0' }), log: quiet });
  const times: number[] = [];
  try {
    for (let r = 0; r < RECOVERY_RUNS; r++) {
      const start = await stopEngine();
      await waitFor('healer noticed', () => !healer.watchdog.engineReachable, 30_000);
      await sleep(2000); // down for a while: the reconnect backoff has grown to its cap
      const starting = start();
      // The moment the engine answers again, polled every 20 ms (engine-up.sh itself polls slower).
      for (;;) {
        if (await docker.ping().then(() => true, () => false)) break;
        await sleep(20);
      }
      const up = performance.now();
      await waitFor('healer back', () => healer.watchdog.engineReachable, 60_000);
      times.push(performance.now() - up);
      await starting;
      process.stdout.write('.');
    }
  } finally {
    await healer.stop(5000);
    await removeTestContainers(runId);
  }
  return times;
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const load = await engineLoadBench();
  console.log(`\n${load.containers} idle watched containers: ${load.perMinute.toFixed(1)} Engine API requests/min ${JSON.stringify(load.byCall)}`);
  const rec = await recoveryBench();
  console.log(`\nengine back → healer connected and resynchronised: median ${median(rec).toFixed(0)} ms, max ${Math.max(...rec).toFixed(0)} ms (n=${rec.length})`);
}
