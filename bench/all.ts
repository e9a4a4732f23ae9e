// npm run bench: every figure in the README's Benchmarks section, on the real engine of this machine.
// Each part runs in its own process, so one part's heap and sockets do not weigh on the next one's
// figures. Medians (and p99 where there are enough samples) over repeated runs; never a timed test.
import { spawnSync } from 'node:child_process';

const costRuns = Number(process.env.BENCH_COST_RUNS ?? 3);
const parts: [string, Record<string, string>][] = [
  ['reaction.ts', { BENCH_LOAD: '0' }],
  ['reaction.ts', { BENCH_LOAD: process.env.BENCH_TARGETS ?? '2000' }],
  // One cost run per process: a fresh heap each time, as a freshly started healer has.
  ...Array.from({ length: costRuns }, (): [string, Record<string, string>] => ['cost.ts', { BENCH_COST_RUNS: '1' }]),
  ['engine.ts', {}],
];
// healer's own V8 flags (Dockerfile ENTRYPOINT, npm start), so the figures are those of the product.
export const NODE_FLAGS = ['--max-semi-space-size=8', '--heap-growing-percent=10'];
const lines: string[] = [];
for (const [file, env] of parts) {
  const r = spawnSync(process.execPath, [...NODE_FLAGS, new URL(file, import.meta.url).pathname], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  process.stdout.write(r.stdout);
  if (r.status !== 0) throw new Error(`bench/${file} failed with exit code ${r.status}`);
  lines.push(...r.stdout.split('\n').filter((l) => l.trim() !== '' && !/^\.+$/.test(l.trim())));
}
const costs = lines.filter((l) => l.startsWith('COST ')).map((l) => JSON.parse(l.slice(5)) as { cpuShare: number; rssMb: number; driftP99Ms: number; driftMedianMs: number; probesPerSecond: number });
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? NaN;
const summary = lines.filter((l) => !l.startsWith('COST ') && !l.startsWith('  per run'));
summary.push(
  `cost, median of ${costs.length} fresh processes: CPU ${(med(costs.map((c) => c.cpuShare)) * 100).toFixed(1)}% of one core, RSS ${med(costs.map((c) => c.rssMb)).toFixed(0)} MB, ` +
    `${med(costs.map((c) => c.probesPerSecond)).toFixed(0)} probes/s, schedule drift median ${med(costs.map((c) => c.driftMedianMs)).toFixed(1)} ms, p99 ${med(costs.map((c) => c.driftP99Ms)).toFixed(1)} ms`,
);
console.log(`\n--- summary ---\n${summary.join('\n')}`);
