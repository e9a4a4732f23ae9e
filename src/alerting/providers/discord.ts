import type { Dispatcher } from 'undici';
import { facts, fenceSafe, linkSafe, logBlock, title } from '../format.ts';
import { postJson } from '../post.ts';
import type { Alert, Notifier } from '../types.ts';

const COLOUR = { critical: 0xd83c3e, warning: 0xf2a33a, info: 0x2eb67d } as const;

/**
 * Discord webhook: `content` (≤ 2000 characters) plus one embed with the facts and log lines. Webhook
 * content and embed text render masked links, so what containers and labels wrote goes through
 * linkSafe; the log lines are inside a fence (no markdown there) and only need fenceSafe.
 */
export function discordPayload(a: Alert): object {
  const logs = logBlock(a, 1000, fenceSafe);
  const reason = linkSafe(a.reason);
  return {
    content: linkSafe(title(a)).slice(0, 2000),
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: linkSafe(a.summary).slice(0, 256),
        description: (logs ? `${reason}\n\`\`\`\n${logs}\n\`\`\`` : reason).slice(0, 4096),
        color: COLOUR[a.severity],
        fields: facts(a).slice(0, 25).map(([name, value]) => ({ name: name.slice(0, 256), value: linkSafe(value).slice(0, 1024), inline: true })),
        timestamp: a.at,
        footer: { text: 'healer' },
      },
    ],
  };
}

export function discord(channel: { name: string; url: string; headers: Record<string, string> }, dispatcher: Dispatcher): Notifier {
  return {
    name: channel.name,
    send: (a, signal) => postJson(channel.url, JSON.stringify(discordPayload(a)), { dispatcher, signal, headers: channel.headers }),
  };
}
