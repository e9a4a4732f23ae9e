import { createServer, type Server } from 'node:http';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyFromLabels } from '../../src/config/labels.ts';
import { httpProber } from '../../src/probes/http.ts';

// Review 14 (bad input in labels). Trigger: a probe header label that HTTP cannot carry:
//   healer.liveness.header.X-Token=$'abc\r\nX-Injected: 1'   (a value with CR/LF: a pasted secret file)
//   "healer.liveness.header.X Token=abc"                       (a name with a space)
//   healer.liveness.header.Transfer-Encoding=chunked           (a header undici refuses to set)
// What happens: policyFromLabels() accepts any string as header name and value, so the container is
// watched; every probe then fails inside undici before a byte is sent ("UND_ERR_INVALID_ARG: invalid
// X-Token header") and the failure is COUNTED as the container's: after `failures` of them healer
// restarts a healthy container, again at each backoff, and alerts a crash loop, for a typo in a label.
// What should happen: a label error naming the header label (the container is not watched, `healer
// check` exits 1), as for every other bad label value, or at worst an inconclusive probe, never a
// counted failure. This test asserts: refused with an error naming the label, or (if accepted) the
// probe against a healthy server is not a counted failure.

let server: Server;
let port = 0;
beforeAll(async () => {
  server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('review14: a probe header label HTTP cannot carry is a label error, not a failing container', () => {
  it.each([
    ['healer.liveness.header.X-Token', 'abc\r\nX-Injected: 1'],
    ['healer.liveness.header.X Token', 'abc'],
    ['healer.liveness.header.Transfer-Encoding', 'chunked'],
  ])('%s', async (key, value) => {
    const r = policyFromLabels({
      labels: { 'healer.enable': 'true', 'healer.liveness': `http://127.0.0.1:${port}/`, [key]: value },
      prefix: 'healer',
      containerName: 'app',
      rawDefaults: {},
      imageHasHealthcheck: false,
    });
    if (!r.ok) {
      expect(r.errors.join('\n')).toContain(key);
      return;
    }
    const p = r.policy.liveness;
    if (!p) throw new Error('no liveness policy');
    const agent = new Agent();
    try {
      const result = await httpProber(agent).run(p, { address: '127.0.0.1', containerId: 'a'.repeat(64) }, AbortSignal.timeout(2000));
      // The server is healthy: a counted failure here is healer blaming the container for its label.
      expect(result.ok || result.inconclusive === true, JSON.stringify(result)).toBe(true);
    } finally {
      await agent.close();
    }
  });
});
