// CI's supply-chain check (SECURITY.md): `npm audit --omit=dev` over the production dependencies, the
// same lockfile entries the image installs. A high or critical advisory fails the run unless
// .ci/audit-exceptions lists its id with a written reason. When the registry's audit endpoint cannot
// be reached (a mirror without it, no network), that is a loud warning, not a failure: the run says
// that nothing was audited and why.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const r = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', timeout: 120_000 });
let report: {
  message?: string;
  statusCode?: number;
  error?: unknown;
  vulnerabilities?: Record<string, { severity: string; via: (string | { source?: number; url?: string; title?: string; severity?: string })[] }>;
};
try {
  report = JSON.parse(r.stdout || '{}') as typeof report;
} catch {
  report = { error: true, message: (r.stderr || r.error?.message || 'no answer').trim().split('\n').pop() };
}
if (report.error !== undefined || r.error) {
  const why = report.message ?? r.error?.message ?? 'unknown error';
  console.log(`ci: WARNING: npm audit could not reach the registry's audit endpoint (${why}); production dependencies were NOT audited`);
  process.exit(0);
}

const exceptions = new Map<string, string>();
const file = new URL('../.ci/audit-exceptions', import.meta.url);
if (existsSync(file)) {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const [id = '', ...reason] = t.split(/\s+/);
    if (reason.length === 0) {
      console.log(`ci: .ci/audit-exceptions: ${id} has no written reason`);
      process.exit(1);
    }
    exceptions.set(id, reason.join(' '));
  }
}

const failing: string[] = [];
for (const [pkg, v] of Object.entries(report.vulnerabilities ?? {})) {
  for (const via of v.via) {
    if (typeof via === 'string') continue; // reached through another package, reported there
    if (via.severity !== 'high' && via.severity !== 'critical') continue;
    const id = via.url?.split('/').pop() ?? String(via.source);
    if (exceptions.has(id)) console.log(`ci: npm audit: ${pkg} ${id} (${via.severity}) accepted: ${exceptions.get(id) ?? ''}`);
    else failing.push(`${pkg}: ${via.severity} ${id} ${via.title ?? ''}`);
  }
}
if (failing.length > 0) {
  console.log(`ci: npm audit: high or critical advisories in production dependencies:\n  ${failing.join('\n  ')}`);
  process.exit(1);
}
console.log('ci: npm audit: no high or critical advisory in production dependencies');
