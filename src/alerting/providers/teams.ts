import type { Dispatcher } from 'undici';
import { facts, linkSafe, logBlock, title } from '../format.ts';
import { postJson } from '../post.ts';
import type { Alert, Notifier } from '../types.ts';

/**
 * Microsoft Teams Workflows webhook: a message with one Adaptive Card attachment. TextBlock and FactSet
 * text is markdown (links included, even in a Monospace block), so all of it goes through linkSafe.
 */
export function teamsPayload(a: Alert): object {
  const body: object[] = [
    { type: 'TextBlock', size: 'Medium', weight: 'Bolder', wrap: true, text: linkSafe(title(a)), style: 'heading' },
    { type: 'TextBlock', wrap: true, text: linkSafe(a.reason) },
    { type: 'FactSet', facts: facts(a).map(([t, value]) => ({ title: t, value: linkSafe(value) })) },
  ];
  const logs = logBlock(a, 4000, linkSafe);
  if (logs) body.push({ type: 'TextBlock', wrap: true, fontType: 'Monospace', isSubtle: true, text: logs });
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body },
      },
    ],
  };
}

export function teams(channel: { name: string; url: string; headers: Record<string, string> }, dispatcher: Dispatcher): Notifier {
  return {
    name: channel.name,
    send: (a, signal) => postJson(channel.url, JSON.stringify(teamsPayload(a)), { dispatcher, signal, headers: channel.headers }),
  };
}
