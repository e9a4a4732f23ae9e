import type { Dispatcher } from 'undici';
import { facts, fenceSafe, logBlock, mrkdwn, title } from '../format.ts';
import { postJson } from '../post.ts';
import type { Alert, Notifier } from '../types.ts';

/**
 * Slack incoming webhook: `text` as the notification fallback, `blocks` for the message itself. What
 * containers and labels wrote is escaped (mrkdwn, fenceSafe): it cannot mention or link anyone.
 */
export function slackPayload(a: Alert): object {
  const blocks: object[] = [
    { type: 'header', text: { type: 'plain_text', text: title(a).slice(0, 150) } },
    { type: 'section', text: { type: 'mrkdwn', text: mrkdwn(a.reason).slice(0, 3000) } },
    { type: 'section', fields: facts(a).slice(0, 10).map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${mrkdwn(v)}`.slice(0, 2000) })) },
  ];
  const logs = logBlock(a, 2900, (l) => fenceSafe(mrkdwn(l)));
  if (logs) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `\`\`\`${logs}\`\`\`` } });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `healer · ${a.at}` }] });
  return { text: mrkdwn(title(a)), blocks };
}

export function slack(channel: { name: string; url: string; headers: Record<string, string> }, dispatcher: Dispatcher): Notifier {
  return {
    name: channel.name,
    send: (a, signal) => postJson(channel.url, JSON.stringify(slackPayload(a)), { dispatcher, signal, headers: channel.headers }),
  };
}
