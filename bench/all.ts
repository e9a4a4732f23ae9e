// npm run bench: every figure in the README's Benchmarks section, on the real engine of this machine.
// Each part runs in its own process, so one part's heap and sockets do not weigh on the next one's
// figures. Medians (and p99 where there are enough samples) over repeated runs; never a timed test.
import { spawnSync } from 'node:child_process';
import type { CostRun } from './cost.ts';
import { median as med } from './common.ts';
import { NODE_ENV_VARS, NODE_FLAGS } from './flags.ts';

const costRuns = Number(process.env.BENCH_COST_RUNS ?? 3);
const parts: [string, Record<string, string>][] = [
  ['reaction.ts', { BENCH_LOAD: '0' }],
  ['reaction.ts', { BENCH_LOAD: process.env.BENCH_TARGETS ?? '2000' }],
  // Each cost run starts a fresh healer process (dist/cli.js), as an operator would.
  ['cost.ts', { BENCH_COST_RUNS: String(costRuns) }],
  ['engine.ts', {}],
  // Issue 17: memory per module, start-up and idle RSS with 10 containers (npm run healer and the image).
  ['modules.ts', {}],
  ['idle.ts', {}],
  ['history.ts', {}],
];
const lines: string[] = [];
for (const [file, env] of parts) {
  const r = spawnSync(process.execPath, [...NODE_FLAGS, new URL(file, import.meta.url).pathname], { env: { ...process.env, ...NODE_ENV_VARS, ...env }, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  process.stdout.write(r.stdout);
  if (r.status !== 0) throw new Error(`bench/${file} failed with exit code ${r.status}`);
  lines.push(...r.stdout.split('\n').filter((l) => l.trim() !== '' && !/^\.+$/.test(l.trim())));
}
const costs = lines.filter((l) => l.startsWith('COST ')).map((l) => JSON.parse(l.slice(5)) as CostRun);
const range = (xs: number[], f: (x: number) => string): string => `${f(Math.min(...xs))}-${f(Math.max(...xs))}`;
const cpu = costs.map((c) => c.cpuShare * 100);
const rss = costs.map((c) => c.rssMb);
const summary = lines.filter((l) => !l.startsWith('COST ') && !l.startsWith('IDLE ') && !l.startsWith('|') && !l.startsWith('  per run'));
summary.push(
  `cost, median of ${costs.length} fresh healer processes: CPU ${med(cpu).toFixed(1)}% of one core (runs ${range(cpu, (x) => x.toFixed(1))}), RSS ${med(rss).toFixed(0)} MB (runs ${range(rss, (x) => x.toFixed(0))}), ` +
    `${med(costs.map((c) => c.probesPerSecond)).toFixed(0)} probes/s, schedule drift median ${med(costs.map((c) => c.driftMedianMs)).toFixed(1)} ms, p99 ${med(costs.map((c) => c.driftP99Ms)).toFixed(1)} ms, ` +
    `/metrics scrape ${med(costs.map((c) => c.scrapeMs)).toFixed(0)} ms for ${(med(costs.map((c) => c.scrapeBytes)) / 2 ** 20).toFixed(1)} MB`,
);
console.log(`\n--- summary ---\n${summary.join('\n')}`);
