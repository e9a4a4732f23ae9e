// npm run bench (part 2): what 2,000 HTTP probe targets at a 1 s interval cost healer.
// healer runs as shipped (dist/cli.js with the image's V8 flags, default log level) in its own process,
// against a stand-in Engine API on a unix socket serving 2,000 synthetic containers (more than one host
// runs for real); the targets are a real HTTP server on 127.0.0.1 in a third process. Measured over
// BENCH_COST_SECONDS after a warm-up, from outside as an operator would: CPU and RSS from /proc/<pid>,
// schedule drift and probe rate from healer's own /metrics, which is scraped every 15 s meanwhile as
// Prometheus would (the scrape's cost is part of the figures).
// BENCH_FLAGS adds node flags after healer's own (to weigh a V8 flag: BENCH_FLAGS=--no-opt).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { NODE_ENV_VARS, NODE_FLAGS } from './flags.ts';
import { fakeEngineApi } from './engine-api.ts';
import { histogramQuantile, median, targetServer } from './common.ts';
import { parseExposition } from '../test/helpers/prometheus.ts';

const N = Number(process.env.BENCH_TARGETS ?? 2000);
const SECONDS = Number(process.env.BENCH_COST_SECONDS ?? 30);
const SCRAPE_EVERY_S = 15;
const RUNS = Number(process.env.BENCH_COST_RUNS ?? 3);
const WARMUP_MS = 5000; // first probes spread over the interval, JIT, sockets
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

export interface CostRun {
  cpuShare: number;
  rssMb: number;
  driftP99Ms: number;
  driftMedianMs: number;
  probesPerSecond: number;
  scrapeMs: number;
  scrapeBytes: number;
}

/** user + system CPU seconds of a process, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
  return (Number(fields[11]) + Number(fields[12])) / TICKS; // utime, stime: fields 14 and 15
}

const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

interface Scrape {
  drift: Map<number, number>; // cumulative bucket counts by upper bound
  probes: number;
  ms: number; // request to last byte
  bytes: number;
}

async function scrape(address: string): Promise<Scrape> {
  const t0 = performance.now();
  const text = await (await fetch(`http://${address}/metrics`)).text();
  const ms = performance.now() - t0;
  const { samples } = parseExposition(text);
  const drift = new Map<number, number>();
  let probes = 0;
  for (const s of samples) {
    if (s.name === 'healer_probe_schedule_drift_seconds_bucket') drift.set(Number(s.labels.le), s.value);
    if (s.name === 'healer_probes_total' && s.labels.result !== 'error') probes += s.value;
  }
  return { drift, probes, ms, bytes: text.length };
}

async function once(targetPort: number): Promise<CostRun> {
  const engine = await fakeEngineApi(`/tmp/healer-bench-engine-${process.pid}.sock`, N, (i) => ({
    'healer.enable': 'true',
    'healer.liveness': `http://127.0.0.1:${targetPort}/${i}`,
    'healer.liveness.interval': '1s',
  }));
  // The state file and the history database beside it, in a directory of their own removed after the run.
  const stateDir = mkdtempSync(join(tmpdir(), 'healer-bench-cost-'));
  const statePath = join(stateDir, 'state.json');
  const child = spawn(process.execPath, [...NODE_FLAGS, ...(process.env.BENCH_FLAGS ?? '').split(' ').filter(Boolean), new URL('../dist/cli.js', import.meta.url).pathname], {
    env: { PATH: process.env.PATH, DOCKER_HOST: `unix://${engine.socketPath}`, HEALER_SERVER_LISTEN: '127.0.0.1:0', HEALER_STATE_PATH: statePath, HEALER_LOG_FORMAT: 'json', ...NODE_ENV_VARS },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const address = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`healer exited with ${code} before listening`)));
      createInterface({ input: child.stdout }).on('line', (line) => {
        const address = (JSON.parse(line) as { address?: string }).address; // the "http listener up" line
        if (address !== undefined) resolve(address);
      });
    });
    await sleep(WARMUP_MS);
    const before = await scrape(address);
    const cpu0 = cpuSeconds(child.pid ?? 0);
    const t0 = performance.now();
    const rss: number[] = [];
    const scrapes = [before];
    for (let s = 1; s <= SECONDS; s++) {
      await sleep(1000);
      rss.push(rssMb(child.pid ?? 0));
      if (s % SCRAPE_EVERY_S === 0 && s < SECONDS) scrapes.push(await scrape(address));
    }
    const cpu = cpuSeconds(child.pid ?? 0) - cpu0;
    const wall = (performance.now() - t0) / 1000;
    const after = await scrape(address);
    scrapes.push(after);
    const drift = [...after.drift].map(([le, n]): [number, number] => [le, n - (before.drift.get(le) ?? 0)]);
    return {
      cpuShare: cpu / wall,
      rssMb: median(rss),
      driftP99Ms: histogramQuantile(drift, 0.99) * 1000,
      driftMedianMs: histogramQuantile(drift, 0.5) * 1000,
      probesPerSecond: (after.probes - before.probes) / wall,
      scrapeMs: median(scrapes.map((x) => x.ms)),
      scrapeBytes: after.bytes,
    };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    await engine.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
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
  console.log(`  schedule drift (from healer's histogram): median ${m((r) => r.driftMedianMs).toFixed(1)} ms, p99 ${m((r) => r.driftP99Ms).toFixed(1)} ms`);
  console.log(`  /metrics scrape: ${m((r) => r.scrapeMs).toFixed(0)} ms for ${(m((r) => r.scrapeBytes) / 2 ** 20).toFixed(1)} MB`);
  console.log(`  per run: ${runs.map((r) => `cpu ${(r.cpuShare * 100).toFixed(1)}% rss ${r.rssMb.toFixed(0)}MB p99 ${r.driftP99Ms.toFixed(1)}ms`).join(' | ')}`);
  for (const r of runs) console.log(`COST ${JSON.stringify(r)}`);
}
