import { spawn, type ChildProcess } from 'node:child_process';

export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
}

export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

/** Starts bench/target-server.ts in its own process; resolves with its port. */
export async function targetServer(): Promise<{ port: number; child: ChildProcess; stop(): void }> {
  const child = spawn(process.execPath, [new URL('./target-server.ts', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once('data', (c: Buffer) => resolve(Number(c.toString().trim())));
    child.once('exit', (code) => reject(new Error(`target server exited with ${code}`)));
  });
  return { port, child, stop: () => void child.kill('SIGTERM') };
}

/**
 * The q-quantile of a Prometheus histogram given as [upper bound, cumulative count] pairs, interpolated
 * linearly inside the bucket it falls in, as PromQL's histogram_quantile() does.
 */
export function histogramQuantile(buckets: readonly [number, number][], q: number): number {
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [le, count] of sorted) {
    if (count >= rank) return le === Infinity ? lower : lower + ((le - lower) * (rank - below)) / (count - below || 1);
    lower = le;
    below = count;
  }
  return lower;
}
