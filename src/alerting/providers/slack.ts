import type { Dispatcher } from 'undici';
import { facts, logBlock, title } from '../format.ts';
import { postJson } from '../post.ts';
import type { Alert, Notifier } from '../types.ts';

/** Slack incoming webhook: `text` as the notification fallback, `blocks` for the message itself. */
export function slackPayload(a: Alert): object {
  const blocks: object[] = [
    { type: 'header', text: { type: 'plain_text', text: title(a).slice(0, 150) } },
    { type: 'section', text: { type: 'mrkdwn', text: a.reason.slice(0, 3000) } },
    { type: 'section', fields: facts(a).slice(0, 10).map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${v}`.slice(0, 2000) })) },
  ];
  const logs = logBlock(a, 2900);
  if (logs) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `\`\`\`${logs}\`\`\`` } });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `healer · ${a.at}` }] });
  return { text: title(a), blocks };
}

export function slack(channel: { name: string; url: string; headers: Record<string, string> }, dispatcher: Dispatcher): Notifier {
  return {
    name: channel.name,
    send: (a, signal) => postJson(channel.url, JSON.stringify(slackPayload(a)), { dispatcher, signal, headers: channel.headers }),
  };
}
