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

/** The last log lines as one text of at most `maxChars`, each line first put through `line` (escaping). */
export function logBlock(a: Alert, maxChars: number, line: (l: string) => string = (l) => l): string | undefined {
  if (!a.logs || a.logs.length === 0) return undefined;
  let text = a.logs.map(line).join('\n');
  if (text.length > maxChars) text = `…${text.slice(text.length - maxChars + 1)}`;
  return text;
}

/**
 * A log line to show inside a ``` fence: the app writes its log, so a ``` in it would end the fence
 * early and the rest would be read as markup (Slack: `<!channel>`, links). A zero-width space after
 * every backtick keeps backticks from running together while they still show as written.
 */
export function fenceSafe(line: string): string {
  return line.replace(/`/g, '`\u200b');
}

/**
 * Text for a Slack mrkdwn field: Slack reads `<...>` as links and mentions (`<!channel>`) and requires
 * &, < and > to be escaped in any text, so nothing a container writes becomes a mention or a link.
 */
export function mrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Text for Discord embeds and Teams Adaptive Card text, which render markdown links: a zero-width space
 * after every `]` means no `[text](url)`, `[text][ref]` or `[ref]: url` a container logged or a label
 * carries can form, in any markdown parser. Backslash escapes are not used because Teams clients do not
 * read them alike (Adaptive Cards issues 5590, 5758): a client that ignores `\[` would still show the link.
 * A bare URL stays as written (as in Slack): it shows where it leads.
 */
export function linkSafe(text: string): string {
  return text.replace(/\]/g, ']\u200b');
}
