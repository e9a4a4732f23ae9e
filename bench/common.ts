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
