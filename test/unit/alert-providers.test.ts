import { createHmac, timingSafeEqual } from 'node:crypto';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { alertmanager } from '../../src/alerting/providers/alertmanager.ts';
import { discord } from '../../src/alerting/providers/discord.ts';
import { slack } from '../../src/alerting/providers/slack.ts';
import { teams } from '../../src/alerting/providers/teams.ts';
import { webhook } from '../../src/alerting/providers/webhook.ts';
import type { Alert } from '../../src/alerting/types.ts';
import { receiver } from '../helpers/receiver.ts';

const dispatcher = new Agent();
afterAll(() => dispatcher.close());
const signal = () => AbortSignal.timeout(2000);

const alert: Alert = {
  event: 'restarted',
  severity: 'warning',
  summary: 'api restarted',
  reason: '3 failed liveness probes in a row',
  host: 'box1',
  container: { id: 'a'.repeat(64), name: 'shop-api-1', image: 'shop/api:1.4', project: 'shop', service: 'api' },
  probe: { role: 'liveness', kind: 'http', status: 503, error: 'status 503 not in 200-399', latencyMs: 12.5 },
  restartsInWindow: 2,
  logs: ['listening on :8080', 'db connection lost "quoted" <tag> & more'],
  at: '2026-11-22T18:00:00.000Z',
};
const FACTS: [string, string][] = [
  ['Host', 'box1'],
  ['Container', 'shop-api-1'],
  ['Compose', 'shop/api'],
  ['Image', 'shop/api:1.4'],
  ['Event', 'restarted'],
  ['Last probe', 'liveness http, status 503, status 503 not in 200-399, 12.5 ms'],
  ['Restarts in window', '2'],
];
const LOGS = 'listening on :8080\ndb connection lost "quoted" <tag> & more';

describe('providers against a real receiver', () => {
  it('slack: text fallback plus blocks', async () => {
    const r = await receiver();
    await slack({ name: 's', url: r.url, headers: {} }, dispatcher).send(alert, signal());
    await r.close();
    expect(r.got[0]?.headers['content-type']).toBe('application/json');
    expect(r.got[0]?.body).toEqual({
      text: '🟠 api restarted',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: '🟠 api restarted' } },
        { type: 'section', text: { type: 'mrkdwn', text: '3 failed liveness probes in a row' } },
        { type: 'section', fields: FACTS.map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${v}` })) },
        // Slack requires &, < and > escaped in mrkdwn (else `<...>` is a link or a mention).
        { type: 'section', text: { type: 'mrkdwn', text: '```listening on :8080\ndb connection lost "quoted" &lt;tag&gt; &amp; more```' } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'healer · 2026-11-22T18:00:00.000Z' }] },
      ],
    });
  });

  it('discord: content of at most 2000 characters and one embed', async () => {
    const r = await receiver();
    const long = { ...alert, summary: 'x'.repeat(3000) };
    await discord({ name: 'd', url: r.url, headers: {} }, dispatcher).send(alert, signal());
    await discord({ name: 'd', url: r.url, headers: {} }, dispatcher).send(long, signal());
    await r.close();
    expect(r.got[0]?.body).toEqual({
      content: '🟠 api restarted',
      allowed_mentions: { parse: [] },
      embeds: [
        {
          title: 'api restarted',
          description: `3 failed liveness probes in a row\n\`\`\`\n${LOGS}\n\`\`\``,
          color: 0xf2a33a,
          fields: FACTS.map(([name, value]) => ({ name, value, inline: true })),
          timestamp: '2026-11-22T18:00:00.000Z',
          footer: { text: 'healer' },
        },
      ],
    });
    const second = r.got[1]?.body as { content: string; embeds: { title: string }[] };
    expect(second.content).toHaveLength(2000);
    expect(second.embeds[0]?.title).toHaveLength(256);
  });

  it('teams: a Workflows message with an Adaptive Card', async () => {
    const r = await receiver();
    await teams({ name: 't', url: r.url, headers: { 'x-extra': 'yes' } }, dispatcher).send(alert, signal());
    await r.close();
    expect(r.got[0]?.headers['x-extra']).toBe('yes');
    expect(r.got[0]?.body).toEqual({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            body: [
              { type: 'TextBlock', size: 'Medium', weight: 'Bolder', wrap: true, text: '🟠 api restarted', style: 'heading' },
              { type: 'TextBlock', wrap: true, text: '3 failed liveness probes in a row' },
              { type: 'FactSet', facts: FACTS.map(([title, value]) => ({ title, value })) },
              { type: 'TextBlock', wrap: true, fontType: 'Monospace', isSubtle: true, text: LOGS },
            ],
          },
        },
      ],
    });
  });

  it('webhook: versioned JSON, signed so that the receiver can verify it', async () => {
    const r = await receiver();
    await webhook({ name: 'w', url: r.url, secret: 'hmac-key-123', headers: {} }, dispatcher, () => 1_795_000_000_000).send(alert, signal());
    await r.close();
    const got = r.got[0];
    expect(got?.body).toEqual({ version: 1, source: 'healer', alert });
    // what a receiver does: recompute over "<timestamp>.<raw body>" and compare in constant time
    const ts = String(got?.headers['x-healer-timestamp']);
    expect(ts).toBe('1795000000');
    const expected = Buffer.from(`sha256=${createHmac('sha256', 'hmac-key-123').update(`${ts}.${got?.raw ?? ''}`).digest('hex')}`);
    const given = Buffer.from(String(got?.headers['x-healer-signature']));
    expect(given.length === expected.length && timingSafeEqual(given, expected)).toBe(true);
    // and a forged body fails the same check
    const forged = Buffer.from(`sha256=${createHmac('sha256', 'hmac-key-123').update(`${ts}.{"version":1}`).digest('hex')}`);
    expect(timingSafeEqual(given, forged)).toBe(false);
  });

  it('webhook without a secret sends no signature', async () => {
    const r = await receiver();
    await webhook({ name: 'w', url: r.url, headers: {} }, dispatcher).send(alert, signal());
    await r.close();
    expect(r.got[0]?.headers['x-healer-signature']).toBeUndefined();
  });

  it('alertmanager: fires on an opening event, resolves with endsAt on its closing event', async () => {
    const r = await receiver();
    const am = alertmanager({ name: 'am', url: `http://127.0.0.1:${r.port}/`, headers: {} }, dispatcher);
    await am.send({ ...alert, event: 'unhealthy', severity: 'warning', summary: 'api is unhealthy' }, signal());
    await am.send({ ...alert, event: 'recovered', severity: 'info', summary: 'api recovered', at: '2026-11-22T18:01:00.000Z' }, signal());
    am.close?.();
    await r.close();
    expect(r.got.map((g) => g.path)).toEqual(['/api/v2/alerts', '/api/v2/alerts']);
    const labels = { alertname: 'HealerContainerUnhealthy', severity: 'warning', host: 'box1', source: 'healer', container: 'shop-api-1', project: 'shop', service: 'api' };
    expect(r.got[0]?.body).toEqual([
      {
        labels,
        annotations: { summary: 'api is unhealthy', description: '3 failed liveness probes in a row', probe_error: 'status 503 not in 200-399', restarts_in_window: '2', logs: LOGS },
        startsAt: '2026-11-22T18:00:00.000Z',
      },
    ]);
    const resolved = r.got[1]?.body as { labels: Record<string, string>; endsAt: string; startsAt: string }[];
    expect(resolved.map((a) => a.labels.alertname)).toEqual(['HealerContainerUnhealthy', 'HealerCrashLoop', 'HealerRestartHeld', 'HealerRestartFailed']);
    expect(resolved[0]).toMatchObject({ labels, startsAt: '2026-11-22T18:00:00.000Z', endsAt: '2026-11-22T18:01:00.000Z' });
  });
});
