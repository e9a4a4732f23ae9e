import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { policyFromLabels } from '../../src/config/labels.ts';
import { createProbeDispatcher } from '../../src/probes/index.ts';
import { httpProber } from '../../src/probes/http.ts';

// Review 24: the budget's gate for a container whose matching cost is not known yet sits at the match
// (when the body has arrived), not at the probe's start: a probe waiting for its target holds nothing.
// Here the HTTP prober asks the gate just before matching; refused, the probe ends put off (no result).
describe('s24: the body match gate is asked when the body has arrived', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
    server = undefined;
  });

  it('refused: put off and inconclusive, nothing matched; allowed: matched and timed', async () => {
    server = createServer((_q, r) => r.writeHead(200).end('all good'));
    await new Promise<void>((ok) => server?.listen(0, '127.0.0.1', ok));
    const port = (server.address() as AddressInfo).port;
    const r = policyFromLabels({ labels: { 'healer.liveness': `http://127.0.0.1:${port}/`, 'healer.liveness.body': 'good' }, prefix: 'healer', containerName: 'c', rawDefaults: {}, imageHasHealthcheck: false });
    if (!r.ok || !r.policy.liveness) throw new Error(r.ok ? 'no liveness policy' : r.errors.join('; '));
    const p = r.policy.liveness;
    const dispatcher = createProbeDispatcher();
    try {
      const target = { containerId: 'c', address: '127.0.0.1' };
      let asked = 0;
      const refused = await httpProber(dispatcher).run(p, target, new AbortController().signal, undefined, () => (asked++, false));
      expect(asked).toBe(1);
      expect(refused).toMatchObject({ ok: false, inconclusive: true, putOff: true, status: 200 });
      expect(refused.matchMs).toBeUndefined();
      const allowed = await httpProber(dispatcher).run(p, target, new AbortController().signal, undefined, () => true);
      expect(allowed.ok).toBe(true);
      expect(allowed.putOff).toBeUndefined();
      expect(typeof allowed.matchMs).toBe('number');
    } finally {
      await dispatcher.close();
    }
  });
});
