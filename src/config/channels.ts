import { readFileSync } from 'node:fs';
import type { AlertEvent, Config } from './schema.ts';

/** One alert channel as its provider needs it: config knows the shape, alerting builds the notifier. */
export interface ChannelSpec {
  readonly name: string;
  readonly type: 'slack' | 'discord' | 'teams' | 'webhook' | 'alertmanager';
  readonly url: string;
  readonly secret: string | undefined;
  readonly headers: Record<string, string>;
}

export interface ResolvedChannel extends ChannelSpec {
  readonly events: readonly AlertEvent[] | undefined;
}

/**
 * Reads every channel's URL and secret (from the file or from `*_file`), checks names are unique, and
 * collects every secret value so logs, alerts and status can redact them. Problems come back as
 * sentences naming the key; they stop start-up.
 */
export function resolveChannels(config: Config, read: (path: string) => string = (p) => readFileSync(p, 'utf8')): {
  channels: ResolvedChannel[];
  secrets: string[];
  problems: string[];
} {
  const channels: ResolvedChannel[] = [];
  const secrets: string[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  config.alerts.channels.forEach((c, i) => {
    const at = `alerts.channels[${i}]`;
    if (seen.has(c.name)) problems.push(`${at}.name: "${c.name}" is used by an earlier channel`);
    seen.add(c.name);
    const fromFile = (key: 'url_file' | 'secret_file', path: string | undefined): string | undefined => {
      if (path === undefined) return undefined;
      try {
        return read(path).trim();
      } catch (err) {
        problems.push(`${at}.${key}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        return undefined;
      }
    };
    const url = c.url ?? fromFile('url_file', c.url_file);
    const secret = c.secret ?? fromFile('secret_file', c.secret_file);
    if (url === undefined) return;
    if (!/^https?:\/\/[^\s]+$/.test(url)) problems.push(`${at}.url: is not an http(s) URL`);
    secrets.push(url, ...(secret !== undefined ? [secret] : []), ...Object.values(c.headers));
    channels.push({ name: c.name, type: c.type, url, secret, headers: { ...c.headers }, events: c.events });
  });
  return { channels, secrets: secrets.filter((s) => s.length >= 6), problems };
}

/** Replaces every secret value in a text with [redacted]. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('[redacted]');
  return out;
}
