import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { Agent } from 'undici';
import { describe, expect, it } from 'vitest';
import { Alerter } from '../../src/alerting/alerter.ts';
import { loadConfig } from '../../src/config/load.ts';
import { startAlertmanager } from '../helpers/alertmanager.ts';

// Review 14 (adversarial review of alert channels), against a real Alertmanager (0.25).
// Trigger: `healer notify --test` (README: "Sends one test alert to every channel ... prints
//   `delivered`") with an `alertmanager` channel, done exactly as src/cli.ts's notifyTest does it.
// What happens: the test alert is a `recovered` event, which the Alertmanager provider turns into
//   RESOLVES for HealerContainerUnhealthy/CrashLoop/RestartHeld/RestartFailed with endsAt = now (and no
//   container label). Alertmanager answers 200, so the CLI prints `delivered`, but nothing is active in
//   Alertmanager and no receiver behind it (pager, mail, chat) is ever notified: the test proves nothing
//   about the path an operator wants to check, and looks like a silent failure in Alertmanager's UI.
// What should happen: the test alert shows up in Alertmanager as an alert that fires (for a short
//   while, like the one-off events' 5 minutes), so its routes and receivers are exercised.
describe('review14: healer notify --test with an alertmanager channel', () => {
  it('the test alert is active in Alertmanager', { timeout: 30_000 }, async () => {
    const am = await startAlertmanager();
    const dispatcher = new Agent();
    try {
      const dir = mkdtempSync(`${tmpdir()}/healer-review14-`);
      writeFileSync(`${dir}/watchdog.yml`, `alerts:\n  channels:\n    - name: am\n      type: alertmanager\n      url: ${am.url}\n`);
      const loaded = loadConfig(`${dir}/watchdog.yml`, { HEALER_STATE_PATH: `${dir}/state.json` });
      const alerter = new Alerter({ specs: loaded.channels, config: loaded.config.alerts, secrets: loaded.secrets, dispatcher, log: pino({ level: 'silent' }) });
      const alert = alerter.testAlert();
      for (const channel of alerter.channels) await channel.sendOnce(alert); // "delivered"
      await alerter.flush(0);
      await sleep(300);
      const active = (await am.alerts()).filter((a) => a.status.state === 'active' && Date.parse(a.endsAt) > Date.now());
      expect(active.map((a) => a.labels.alertname)).not.toEqual([]);
    } finally {
      await dispatcher.close();
      await am.stop();
    }
  });
});
