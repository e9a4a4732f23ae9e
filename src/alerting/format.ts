import type { Alert } from './types.ts';

/** Shared wording for chat providers: title, and the facts as label/value pairs. */
export function title(a: Alert): string {
  const icon = a.severity === 'critical' ? '🔴' : a.severity === 'warning' ? '🟠' : '🟢';
  return `${icon} ${a.test ? '[test] ' : ''}${a.summary}`;
}

export function facts(a: Alert): [string, string][] {
  const out: [string, string][] = [['Host', a.host]];
  if (a.container) {
    out.push(['Container', a.container.name]);
    if (a.container.project) out.push(['Compose', `${a.container.project}/${a.container.service ?? '?'}`]);
    out.push(['Image', a.container.image]);
  }
  out.push(['Event', a.event]);
  if (a.probe) {
    const parts = [`${a.probe.role} ${a.probe.kind}`];
    if (a.probe.status !== undefined) parts.push(`status ${a.probe.status}`);
    if (a.probe.error) parts.push(a.probe.error);
    parts.push(`${a.probe.latencyMs} ms`);
    out.push(['Last probe', parts.join(', ')]);
  }
  if (a.restartsInWindow !== undefined) out.push(['Restarts in window', String(a.restartsInWindow)]);
  if (a.recoveryMs !== undefined) out.push(['Time to recovery', `${(a.recoveryMs / 1000).toFixed(1)} s`]);
  if (a.exitCode !== undefined) out.push(['Exit code', `${a.exitCode}${a.oom ? ' (OOM-killed)' : ''}`]);
  if (a.suppressed) out.push(['Suppressed', `${a.suppressed} similar alerts in the throttle window`]);
  return out;
}

export function logBlock(a: Alert, maxChars: number): string | undefined {
  if (!a.logs || a.logs.length === 0) return undefined;
  let text = a.logs.join('\n');
  if (text.length > maxChars) text = `…${text.slice(text.length - maxChars + 1)}`;
  return text;
}
