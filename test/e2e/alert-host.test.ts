import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerting/types.ts';
import { startEngineProxy } from '../helpers/engine-proxy.ts';
import { engineSuite, newRunId, runContainer, startTestHealer, waitFor } from '../helpers/engine.ts';
import { receiver } from '../helpers/receiver.ts';

// Run from the compose example (a bridge network, no `hostname:`), healer's hostname is its container's
// short id: alerts must name the host the engine runs on, not `3f2a9b8c1d0e`. The engine is the real one,
// behind a proxy that answers GET /info with a host name this machine does not have (so the name can only
// have come from the engine) or refuses it as a socket proxy without INFO=1 does.
const suite = engineSuite();
const own = 'ab12cd34ef56'.padEnd(64, '0');

async function diedAlert(self: { ids: string[]; hostname: string }, info: { name: string } | 'refuse') {
  const runId = newRunId();
  const proxy = await startEngineProxy();
  suite.defer(() => proxy.close());
  proxy.info = info;
  const r = await receiver();
  suite.defer(() => r.close());
  const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, DOCKER_HOST: proxy.host }, `alerts:\n  channels:\n    - name: hook\n      type: webhook\n      url: ${r.url}\n`, self);
  suite.defer(() => h.stop());
  const id = await runContainer({ runId, name: 'dies', cmd: ['sh', '-c', 'sleep 1; exit 3'], labels: { 'healer.enable': 'true', 'healer.scope': runId } });
  const died = await waitFor('died alert', () => r.got.map((g) => (g.body as { alert: Alert }).alert).find((a) => a.event === 'died' && a.container?.id === id));
  return { host: died.host, logs: h.logs };
}

describe('the host alerts name', () => {
  it("is the engine's name for its host when healer's hostname is its container's short id", async () => {
    const { host } = await diedAlert({ ids: [own], hostname: own.slice(0, 12) }, { name: 'garage-pi-4' });
    expect(host).toBe('garage-pi-4');
  });

  it("is healer's own hostname when it was given one (compose `hostname:`, host networking, outside Docker)", async () => {
    expect((await diedAlert({ ids: [own], hostname: 'edge-box-7' }, { name: 'garage-pi-4' })).host).toBe('edge-box-7');
  });

  it('stays the short id, with a warning saying why, when a socket proxy refuses GET /info', async () => {
    const { host, logs } = await diedAlert({ ids: [own], hostname: own.slice(0, 12) }, 'refuse');
    expect(host).toBe(own.slice(0, 12));
    expect(logs.find((l) => l.level === 40 && String(l.msg).includes('INFO=1'))).toBeDefined();
  });
});
