import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { Alerter } from '../../src/alerting/alerter.ts';
import { loadConfig } from '../../src/config/load.ts';
import { receiver } from '../helpers/receiver.ts';
import { waitFor } from '../helpers/engine.ts';

// A condition an earlier healer alerted and the next one found still open (its state file) is told again
// only to channels that keep conditions open (Alertmanager forgets an alert not re-sent), as firing since
// its first failure; a chat channel or webhook, which was told already, is not told again.

const dispatcher = new Agent();
afterAll(() => dispatcher.close());

describe('s24: a reopened alert', () => {
  it('goes to Alertmanager as firing since its first failure, and to no webhook', async () => {
    const am = await receiver();
    const hook = await receiver();
    try {
      const dir = mkdtempSync(`${tmpdir()}/healer-reopened-`);
      writeFileSync(`${dir}/w.yml`, `alerts:\n  retries: 0\n  channels:\n    - name: am\n      type: alertmanager\n      url: http://127.0.0.1:${am.port}\n    - name: hook\n      type: webhook\n      url: ${hook.url}\n`);
      const loaded = loadConfig(`${dir}/w.yml`, {});
      const alerter = new Alerter({ specs: loaded.channels, config: { ...loaded.config.alerts, log_lines: 0 }, secrets: loaded.secrets, dispatcher, log: pino({ level: 'silent' }), host: 'h' });
      const container = { id: 'c1', name: 'api', image: 'i', project: undefined, service: undefined };
      const since = Date.parse('2026-01-02T03:04:05.000Z');
      alerter.emit({ event: 'unhealthy', summary: 'api is unhealthy', reason: 'still', container, reopened: { at: since } });
      alerter.emit({ event: 'died', summary: 'api died', reason: 'x', container });
      await waitFor('both sent', () => am.got.length >= 2 && hook.got.length >= 1, 5_000);
      const firing = (am.got[0]?.body as { labels: Record<string, string>; startsAt: string; endsAt?: string }[])[0];
      expect(firing?.labels.alertname).toBe('HealerContainerUnhealthy');
      expect(firing?.startsAt).toBe('2026-01-02T03:04:05.000Z');
      expect(firing?.endsAt).toBeUndefined();
      expect(hook.got.map((g) => (g.body as { alert: { event: string } }).alert.event)).toEqual(['died']);
      await alerter.flush(1_000);
    } finally {
      await am.close();
      await hook.close();
    }
  });
});
