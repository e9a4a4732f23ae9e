import { describe, expect, it } from 'vitest';
import { discordPayload } from '../../src/alerting/providers/discord.ts';
import { teamsPayload } from '../../src/alerting/providers/teams.ts';
import { slackPayload } from '../../src/alerting/providers/slack.ts';
import type { Alert } from '../../src/alerting/types.ts';

// Two reviewers found this, each with its own trigger; both are kept in this one file:
//  1. the page reviewer: an app's log line and a compose project label reading a markdown link;
//  2. the security reviewer: a compose service label and a log line, checked with a stricter matcher
//     (any unescaped `[text](http...)`, and Slack as the reference).
// The fix (format.ts linkSafe) puts a zero-width space after every `]`, so no link forms in any
// markdown parser, rather than backslash escapes, which Teams clients do not all read.

// Review 14 (adversarial review of alert formatting). SECURITY.md: label authors and probe targets (the
// apps whose log lines an alert carries) are NOT trusted. For Slack, the README says what a container
// writes cannot "mention anyone or add a link" (mrkdwn, fenceSafe).
// Trigger: a container whose app logs, or whose compose project label reads, a markdown link:
//   `[Action required: re-authenticate healer](https://evil.example/login)`, alerted to Teams / Discord.
// What happens: Teams' Adaptive Card TextBlocks render markdown (links included) and healer puts the log
//   lines and the facts into them as written; Discord renders masked links in embed field values, where
//   the Compose fact goes as written. The on-call channel shows a clickable phishing link in an alert
//   that comes from healer.
// What should happen: as for Slack, what a container or its labels wrote is shown as text, never as a
//   link (the markdown link syntax broken, see the header).
const LINK = '[Action required: re-authenticate healer](https://evil.example/login)';
const alert: Alert = {
  event: 'unhealthy',
  severity: 'warning',
  summary: 'api is unhealthy',
  reason: '3 failed liveness probes in a row',
  host: 'box1',
  container: { id: 'e'.repeat(64), name: 'api', image: 'shop/api:1.4', project: LINK, service: 'api' },
  logs: ['GET /health 500', LINK],
  at: '2026-11-24T04:00:00.000Z',
};

/** Every string in a payload, where a chat client might render markdown. */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === 'object') return Object.values(v).flatMap(strings);
  return [];
}

describe('review14: a markdown link written by a container or its labels', () => {
  it('is not sent to Teams as a live link (log lines and facts)', () => {
    expect(strings(teamsPayload(alert)).filter((s) => s.includes('](https://evil.example'))).toEqual([]);
  });
  it('is not sent to Discord as a live link in the embed fields', () => {
    const p = discordPayload(alert) as { embeds: { fields: { value: string }[] }[] };
    expect(p.embeds[0]?.fields.map((f) => f.value).filter((s) => s.includes('](https://evil.example'))).toEqual([]);
  });
});

// Review 14 (adversarial, label author). Trigger: a label author labels their container
//   com.docker.compose.service=[Alert acknowledged, sign in to confirm](https://evil.example/login)
// (any text: healer reads compose's project/service labels as written, inspect.ts) and has the app log
// the same markdown. The alert's facts carry `Compose: <project>/<service>` and the log lines.
// What happens: slackPayload escapes what containers write (mrkdwn: no link), but discordPayload puts
// the facts into embed field values and teamsPayload puts facts, reason and log lines into Adaptive
// Card text, all unescaped; Discord embeds and Teams TextBlocks/FactSets render markdown, so the ops
// channel shows a clickable masked link "Alert acknowledged, sign in to confirm" posted by healer: a
// phishing link from an untrusted tenant in the operators' alert channel (allowed_mentions stops
// @everyone, not links). Previous reviews escaped only Slack text and the Slack/Discord log fences.
// What should happen: as for Slack, nothing a container or label wrote becomes a link or markup: the
// link syntax is broken (see the header: a zero-width space after `]`, for Discord and Teams alike).

const LABEL_LINK = '[Alert acknowledged, sign in to confirm](https://evil.example/login)';

const labelAlert: Alert = {
  event: 'unhealthy',
  severity: 'warning',
  summary: 'tenant-app unhealthy: 3 failed liveness probes in a row',
  reason: '3 failed liveness probes in a row',
  host: 'node1',
  container: { id: 'a'.repeat(64), name: 'tenant-app', image: 'busybox:latest', project: 'shop', service: LABEL_LINK },
  probe: { role: 'liveness', kind: 'http', status: 500, latencyMs: 3 },
  logs: [`GET /healthz 500 ${LABEL_LINK}`],
  at: '2026-11-24T04:00:00.000Z',
};

/** Markdown masked links `[text](http...)` whose `[` is not escaped with a backslash. */
function links(text: string): string[] {
  return [...text.matchAll(/(?<!\\)\[[^\]]*(?<!\\)\]\((https?:[^)\s]*)\)/g)].map((m) => m[0]);
}

describe('review14: text a label author writes never becomes a link in chat alerts', () => {
  it('Slack (the reference: already escaped) carries no rendered link', () => {
    // Slack's own link syntax is <url|text>; mrkdwn() escapes < and >. [text](url) is not a Slack link.
    expect(strings(slackPayload(labelAlert)).join('\n')).not.toMatch(/<https?:/);
  });
  it('Discord embed fields and description carry no masked link', () => {
    const p = discordPayload(labelAlert) as { embeds: { description: string; fields: { value: string }[] }[] };
    const embed = p.embeds[0];
    // The log block is inside a ``` fence, where Discord renders no markdown: only text outside it counts.
    const outsideFence = (embed?.description ?? '').replace(/```[\s\S]*?```/g, '');
    const rendered = [outsideFence, ...(embed?.fields ?? []).map((f) => f.value)].join('\n');
    expect(links(rendered)).toEqual([]);
  });
  it('Teams card text (facts, reason, log lines) carries no masked link', () => {
    expect(links(strings(teamsPayload(labelAlert)).join('\n'))).toEqual([]);
  });
});

describe('review14: reference-style links from log lines', () => {
  it('a logged definition and reference form no link in Teams text', () => {
    const a: Alert = { ...alert, logs: ['[x]: https://evil.example/login', 'see [sign in][x] or [x]'] };
    const text = strings(teamsPayload(a)).join('\n');
    expect(text).not.toMatch(/\]:|\]\[|\]\(/);
  });
});
