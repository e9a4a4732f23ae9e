// npm run bench (part 2): what 2,000 HTTP probe targets at a 1 s interval cost healer.
// healer runs in this process with an in-memory engine of 2,000 synthetic containers (more than one
// host runs for real); the targets are a real HTTP server on 127.0.0.1 in another process. Measured over
// BENCH_COST_SECONDS after a warm-up, BENCH_COST_RUNS times: CPU share of one core, RSS, schedule drift.
import { pino } from 'pino';
import { loadConfig } from '../src/config/load.ts';
import { startHealer } from '../src/main.ts';
import { fakeEngine, syntheticContainer } from '../test/helpers/fake-engine.ts';
import { median, quantile, targetServer } from './common.ts';

const N = Number(process.env.BENCH_TARGETS ?? 2000);
const SECONDS = Number(process.env.BENCH_COST_SECONDS ?? 20);
const RUNS = Number(process.env.BENCH_COST_RUNS ?? 3);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface CostRun {
  cpuShare: number;
  rssMb: number;
  driftP99Ms: number;
  driftMedianMs: number;
  probesPerSecond: number;
}

async function once(port: number): Promise<CostRun> {
  const containers = Array.from({ length: N }, (_, i) => syntheticContainer(i, { 'healer.enable': 'true', 'healer.liveness': `http://127.0.0.1:${port}/${i}`, 'healer.liveness.interval': '1s' }));
  const fake = fakeEngine(containers);
  const loaded = loadConfig(undefined, { HEALER_SERVER_LISTEN: '127.0.0.1:0', HEALER_STATE_PATH: `/tmp/healer-bench-cost-${process.pid}.json` });
  const running = await startHealer({ loaded, log: pino({ level: 'warn' }), self: { ids: [], hostname: 'bench' }, connect: () => Promise.resolve({ engine: fake.engine, apiVersion: '1.41', engineVersion: 'fake' }) });
  const drift: number[] = [];
  const observe = running.metrics.drift.bind(running.metrics);
  running.metrics.drift = (s: number) => {
    drift.push(s * 1000);
    observe(s);
  };
  await sleep(5000); // warm-up: first probes spread over the interval, JIT, sockets
  drift.length = 0;
  const probesBefore = [...running.watchdog.watches.values()].reduce((n, w) => n + w.counts.probes.liveness.success + w.counts.probes.liveness.failure, 0);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const rss: number[] = [];
  for (let s = 0; s < SECONDS; s++) {
    await sleep(1000);
    rss.push(process.memoryUsage().rss / 2 ** 20);
  }
  const cpu = process.cpuUsage(cpu0);
  const wall = (performance.now() - t0) * 1000;
  const probes = [...running.watchdog.watches.values()].reduce((n, w) => n + w.counts.probes.liveness.success + w.counts.probes.liveness.failure, 0) - probesBefore;
  await running.stop(5000);
  return {
    cpuShare: (cpu.user + cpu.system) / wall,
    rssMb: median(rss),
    driftP99Ms: quantile(drift, 0.99),
    driftMedianMs: median(drift),
    probesPerSecond: probes / (wall / 1e6),
  };
}

export async function costBench(): Promise<CostRun[]> {
  const target = await targetServer();
  try {
    const runs: CostRun[] = [];
    for (let r = 0; r < RUNS; r++) {
      runs.push(await once(target.port));
      process.stdout.write('.');
    }
    return runs;
  } finally {
    target.stop();
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const runs = await costBench();
  const m = (f: (r: CostRun) => number) => median(runs.map(f));
  console.log(`\n${N} HTTP targets at 1 s, ${RUNS} runs of ${SECONDS} s (medians):`);
  console.log(`  CPU ${(m((r) => r.cpuShare) * 100).toFixed(1)}% of one core, RSS ${m((r) => r.rssMb).toFixed(0)} MB, probes/s ${m((r) => r.probesPerSecond).toFixed(0)}`);
  console.log(`  schedule drift: median ${m((r) => r.driftMedianMs).toFixed(1)} ms, p99 ${m((r) => r.driftP99Ms).toFixed(1)} ms`);
  console.log(`  per run: ${runs.map((r) => `cpu ${(r.cpuShare * 100).toFixed(1)}% rss ${r.rssMb.toFixed(0)}MB p99 ${r.driftP99Ms.toFixed(1)}ms`).join(' | ')}`);
  for (const r of runs) console.log(`COST ${JSON.stringify(r)}`);
}
