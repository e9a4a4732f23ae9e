// Per-module memory: what loading each dependency alone costs in RSS, from node_modules (as healer ran
// before issue 17) and from a bundle of it made with healer's own bundle options (as healer ships), next
// to bare Node and to healer's whole bundle imported without starting. Medians of 3 fresh processes with
// healer's V8 flags; each process loads one thing, waits 1 s, and reports its RSS. README: "Memory per module".
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { bundleOptions } from '../scripts/bundle.ts';
import { median } from './common.ts';
import { NODE_ENV_VARS, NODE_FLAGS } from './flags.ts';

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'healer-modules-'));
const RUNS = 3;

/** An import the bundler cannot drop as unused (packages declare themselves free of side effects). */
function keep(pkg: string, name = 'm'): string {
  return `import * as ${name} from '${pkg}'; (globalThis.__kept ??= []).push(${name});`;
}

/** What healer imports from each package (undici: its two files, as src/undici.ts loads them). */
const MODULES: [string, string][] = [
  ['dockerode', keep('dockerode')],
  ['undici (Agent, request)', `${keep('undici/lib/dispatcher/agent.js')} ${keep('undici/lib/api/api-request.js', 'n')}`],
  ['prom-client', keep('prom-client')],
  // healer's own schemas rather than zod/mini's namespace: mini is built to be tree-shaken, its whole namespace is not what healer loads
  ['zod/mini: healer\'s config schemas (src/config/schema.ts; re2js loads only with a `body` pattern)', keep('../src/config/schema.ts')],
  ['yaml', keep('yaml')],
  ['pino', keep('pino')],
  ['cron-parser (first use only)', keep('cron-parser')],
  ['pino-pretty (first use only)', keep('pino-pretty')],
];

const wait = 'await new Promise((r) => setTimeout(r, 1000)); process.stdout.write(String(process.memoryUsage().rss));';

function rssMb(file: string): number {
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = spawnSync(process.execPath, [...NODE_FLAGS, file], { cwd: root, env: { ...process.env, ...NODE_ENV_VARS }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${file}: ${r.stderr}`);
    xs.push(Number(r.stdout) / 2 ** 20);
  }
  return median(xs);
}

async function bundled(name: string, source: string): Promise<string> {
  const entry = join(root, `bench/.modules-${name.replace(/\W+/g, '-')}.mjs`);
  writeFileSync(entry, `${source}\n`);
  const out = join(dir, `${name.replace(/\W+/g, '-')}.bundle.mjs`);
  try {
    await build({ ...bundleOptions(entry, out), sourcemap: false, footer: { js: wait } });
  } finally {
    (await import('node:fs')).rmSync(entry, { force: true });
  }
  return out;
}

function plain(name: string, source: string): string {
  const file = join(root, `bench/.modules-plain-${name.replace(/\W+/g, '-')}.mjs`);
  writeFileSync(file, `${source}\n${wait}\n`);
  return file;
}

const bare = plain('bare', '');
const rows: [string, number, number][] = [];
const base = rssMb(bare);
for (const [name, source] of MODULES) {
  const p = plain(name, source);
  try {
    rows.push([name, rssMb(p), rssMb(await bundled(name, source))]);
  } finally {
    (await import('node:fs')).rmSync(p, { force: true });
  }
}
const main = plain('main', keep('../src/main.ts'));
try {
  rows.push(['healer: src/main.ts and all it imports, nothing started (from sources: .ts with type stripping)', rssMb(main), rssMb(await bundled('main', keep('../src/main.ts')))]);
} finally {
  (await import('node:fs')).rmSync(main, { force: true });
  (await import('node:fs')).rmSync(bare, { force: true });
}

console.log(`\n--- memory per module: RSS in MB, median of ${RUNS} fresh processes, loading it alone (bare node ${base.toFixed(1)} MB) ---`);
console.log('| what is loaded | from node_modules | bundled as shipped | bundled, over bare Node |');
console.log('|---|---|---|---|');
for (const [name, unbundled, b] of rows) console.log(`| ${name} | ${unbundled.toFixed(1)} | ${b.toFixed(1)} | +${(b - base).toFixed(1)} |`);
