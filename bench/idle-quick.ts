// A quicker idle harness than bench/idle.ts, for trying levers (issue 17): no Docker; bench/engine-api.ts's
// stand-in engine lists 10 containers probed over HTTP on 127.0.0.1, Q_RUNS (3) fresh healers run side by
// side as shipped (dist/cli.js, healer's flags and environment), and RSS, anonymous and file-backed RSS are
// read after Q_SECONDS (20), and every Q_EVERY seconds before if set. Q_FLAGS adds node flags, Q_ENV (JSON) environment, Q_NOFLAGS drops healer's own.
//   node bench/idle-quick.ts;  Q_FLAGS=--optimize-for-size node bench/idle-quick.ts
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from './common.ts';
import { fakeEngineApi } from './engine-api.ts';
import { NODE_ENV_VARS, NODE_FLAGS } from './flags.ts';

const T = Number(process.env.Q_SECONDS ?? 20) * 1000;
const RUNS = Number(process.env.Q_RUNS ?? 3);
const extra = (process.env.Q_FLAGS ?? '').split(' ').filter(Boolean);
const base = process.env.Q_NOFLAGS ? [] : NODE_FLAGS;
const extraEnv = JSON.parse(process.env.Q_ENV ?? '{}') as Record<string, string>;
const cli = process.env.Q_CLI ?? new URL('../dist/cli.js', import.meta.url).pathname;
// Each healer's state file (and history database beside it) under one directory, removed at exit.
const runDir = mkdtempSync(join(tmpdir(), 'healer-idle-quick-'));
process.on('exit', () => rmSync(runDir, { recursive: true, force: true }));
const server = createServer((_q, r) => r.end('ok'));
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const { port } = server.address() as AddressInfo;
const engine = await fakeEngineApi(`/tmp/healer-q-${process.pid}.sock`, 10, (i) => ({ 'healer.enable': 'true', 'healer.liveness': `http://127.0.0.1:${port}/h/${i}` }));
const kb = (pid: number, f: string, k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/${f}`, 'utf8'))?.[1]) / 1024;
const procs = Array.from({ length: RUNS }, () =>
  spawn(process.execPath, [...base, ...extra, cli], {
    env: { PATH: process.env.PATH, DOCKER_HOST: `unix://${engine.socketPath}`, HEALER_SERVER_LISTEN: '127.0.0.1:0', HEALER_CONFIG: '', HEALER_STATE_PATH: join(mkdtempSync(join(runDir, 'p-')), 'state.json'), ...(process.env.Q_NOFLAGS ? {} : NODE_ENV_VARS), ...extraEnv },
    stdio: ['ignore', 'ignore', 'inherit'],
  }),
);
// Q_EVERY (seconds): also print the median RSS at every such step before Q_SECONDS, to see when it steps up.
const every = Number(process.env.Q_EVERY ?? 0) * 1000;
for (let at = every; every > 0 && at < T; at += every) {
  await new Promise((r) => setTimeout(r, every));
  console.log(`Q ${process.env.Q_LABEL ?? extra.join(' ')} at ${at / 1000} s: rss ${median(procs.map((p) => kb(p.pid ?? 0, 'status', 'VmRSS'))).toFixed(1)}`);
}
await new Promise((r) => setTimeout(r, every > 0 ? T - Math.floor((T - 1) / every) * every : T));
const rss = procs.map((p) => kb(p.pid ?? 0, 'status', 'VmRSS'));
const anon = procs.map((p) => kb(p.pid ?? 0, 'smaps_rollup', 'Anonymous'));
const file = rss.map((r, i) => r - (anon[i] ?? 0));
if (process.env.Q_SMAPS) for (const p of procs) console.log(readFileSync(`/proc/${p.pid}/smaps_rollup`, 'utf8'));
if (process.env.Q_HOLD) await new Promise((r) => setTimeout(r, Number(process.env.Q_HOLD) * 1000));
for (const p of procs) p.kill('SIGTERM');
const med = (xs: number[]): number => median(xs);
const f = (xs: number[]) => `${med(xs).toFixed(1)} (${xs.map((x) => x.toFixed(1)).join(', ')})`;
console.log(`Q ${process.env.Q_LABEL ?? extra.join(' ')} ${JSON.stringify(extraEnv)}: rss ${f(rss)} anon ${f(anon)} file ${f(file)}`);
await engine.close();
server.close();
