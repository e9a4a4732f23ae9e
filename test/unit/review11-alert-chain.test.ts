import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { Alerter } from '../../src/alerting/alerter.ts';
import { loadConfig } from '../../src/config/load.ts';
import { READ_MS, type Engine } from '../../src/docker/engine.ts';
import { receiver } from '../helpers/receiver.ts';

// Eleventh adversarial review. Fails on the reviewed code.
//
// Every alert is built (the container's last log lines fetched from the engine) on ONE chain shared by
// all containers and channels (alerter.ts emit: `this.chain = this.chain.then(... await this.build(...))`).
// A logs call the engine does not answer holds every later alert, of every container, for its whole
// bound (READ_MS, 10 s), and in an alert storm (50 containers failing together while the engine is
// loaded: exactly when its answers are slow) the delays add up: the 50th alert waits 50 × 10 s. README:
// "ping, list, inspect and logs end after 10 s ... One hung call never holds up later alerts or other
// containers." Trigger: one container whose log the engine is slow to read (a journald or remote
// logging driver, a huge json log, a loaded engine), then any alert about another container.

const dispatcher = new Agent();
afterAll(() => dispatcher.close());

describe("review11: one container's log lines the engine does not deliver", () => {
  it('do not hold up the alert of another container', async () => {
    const r = await receiver();
    const dir = mkdtempSync(`${tmpdir()}/healer-review11-`);
    writeFileSync(`${dir}/w.yml`, `alerts:\n  channels:\n    - name: hook\n      type: webhook\n      url: ${r.url}\n`);
    const loaded = loadConfig(`${dir}/w.yml`, {});
    // The engine answers the logs of `slow` only when its own bound ends (as Engine.logs does, 10 s).
    const engine = {
      logs: (id: string) => (id === 'slow' ? sleep(READ_MS, undefined, { ref: false }).then(() => Promise.reject(new Error('logs of slow failed: the engine did not answer within 10s'))) : Promise.resolve(['fast: line'])),
    } as unknown as Engine;
    const alerter = new Alerter({ specs: loaded.channels, config: loaded.config.alerts, secrets: loaded.secrets, dispatcher, engine, log: pino({ level: 'silent' }) });
    const container = (id: string) => ({ id, name: id, image: 'img', project: undefined, service: undefined });
    try {
      alerter.emit({ event: 'unhealthy', summary: 'slow is unhealthy', reason: 'test', container: container('slow') });
      alerter.emit({ event: 'unhealthy', summary: 'fast is unhealthy', reason: 'test', container: container('fast') });
      const started = Date.now();
      while (Date.now() - started < 2_000 && !r.got.some((g) => g.raw.includes('fast is unhealthy'))) await sleep(50);
      expect(r.got.map((g) => (g.body as { alert: { summary: string } }).alert.summary), 'delivered within 2 s').toContain('fast is unhealthy');
    } finally {
      await r.close();
    }
  });
});
