import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename } from 'node:path';
import { freePort } from './servers.ts';

/** Runs Debian's promtool; resolves with its exit code and output (never rejects on a non-zero exit). */
export function promtool(args: string[], stdin?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
    child.stdin.end(stdin ?? '');
  });
}

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses the Prometheus text exposition into samples (enough of the format for healer's own output). */
export function parseExposition(text: string): { samples: Sample[]; families: Map<string, string> } {
  const samples: Sample[] = [];
  const families = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type?.[1] && type[2]) families.set(type[1], type[2]);
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m?.[1] || !m[3]) throw new Error(`unparseable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] ?? ''] = (l[2] ?? '').replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { samples, families };
}

/** The value of the one sample with this name whose labels include `labels`; undefined if none. */
export function sample(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

/** Every `healer_*` name used in a text (PromQL expressions, a rules file, a dashboard). */
export function metricNamesIn(text: string): Set<string> {
  return new Set(text.match(/\bhealer_[a-z0-9_]+/g) ?? []);
}

/**
 * A real Prometheus (Debian's package) on 127.0.0.1 that scrapes one target every second and loads rule
 * files; or, with `config`, runs that configuration as given (with `files` copied beside it by name).
 */
export async function startPrometheus(opts: { target?: string; token?: string; ruleFiles?: string[]; config?: string; files?: string[] }): Promise<{
  url: string;
  query(expr: string): Promise<{ status: string; error?: string; data?: { result: unknown[] } }>;
  stop(): Promise<void>;
}> {
  const dir = mkdtempSync(`${tmpdir()}/healer-prom-`);
  const rules = (opts.ruleFiles ?? []).map((f, i) => {
    copyFileSync(f, `${dir}/rules-${i}.yml`);
    return `rules-${i}.yml`;
  });
  if (opts.token !== undefined) writeFileSync(`${dir}/token`, opts.token);
  for (const f of opts.files ?? []) copyFileSync(f, `${dir}/${basename(f)}`);
  writeFileSync(
    `${dir}/prometheus.yml`,
    opts.config ?? [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      `rule_files: [${rules.join(', ')}]`,
      'scrape_configs:',
      '  - job_name: healer',
      `    static_configs: [{ targets: ['${opts.target ?? ''}'] }]`,
      ...(opts.token !== undefined ? [`    authorization: { credentials_file: ${dir}/token }`] : []),
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const child = spawn(
    'prometheus',
    [`--config.file=${dir}/prometheus.yml`, `--storage.tsdb.path=${dir}/data`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not up yet
    }
    if (i > 150 || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`prometheus did not become ready (exit code ${child.exitCode})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    query: async (expr) => (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as { status: string; error?: string; data?: { result: unknown[] } },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
