import { describe, expect, it } from 'vitest';
import { discordPayload } from '../../src/alerting/providers/discord.ts';
import { slackPayload } from '../../src/alerting/providers/slack.ts';
import type { Alert } from '../../src/alerting/types.ts';

// A container writes its own log, and alerts carry its last lines inside a ``` code block. A line with
// ``` of its own ended that block early, and Slack read the rest as mrkdwn: a mention of everyone in
// the channel, or a link dressed as healer's own advice.
const hostile = ['ok', '``` <!channel> *URGENT* <https://evil.example/fix|run the fix> ```', 'end`'];
const alert: Alert = {
  event: 'died',
  severity: 'warning',
  summary: 'api died',
  reason: 'exit code 1 <!here>',
  host: 'box1',
  container: { id: 'a'.repeat(64), name: 'api', image: 'img', project: undefined, service: undefined },
  logs: hostile,
  at: '2026-11-22T18:00:00.000Z',
};
const texts = (v: unknown): string[] => (typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(texts) : []);

describe("a container's log line in a chat alert", () => {
  it('slack: cannot end the code block or mention or link anyone', () => {
    const blocks = (slackPayload(alert) as { blocks: { text?: { text: string } }[] }).blocks;
    const code = blocks.map((b) => b.text?.text ?? '').find((t) => t.startsWith('```'));
    expect(code).toBeDefined();
    expect(code?.match(/```/g), 'only the two fences').toHaveLength(2);
    expect(code?.endsWith('```')).toBe(true);
    expect(code?.replace(/\u200b/g, '')).toContain('&lt;!channel&gt;');
    expect(texts(slackPayload(alert)).join('\n')).not.toMatch(/<!channel>|<!here>|<https:/);
  });

  it('discord: cannot end the code block', () => {
    const description = (discordPayload(alert) as { embeds: { description: string }[] }).embeds[0]?.description ?? '';
    expect(description.match(/```/g), 'only the two fences').toHaveLength(2);
    expect(description.replace(/\u200b/g, '')).toContain('``` <!channel>'); // shown as written (no pings: allowed_mentions)
  });
});
