import { describe, expect, it } from 'vitest';
import { policyFromLabels } from '../../src/config/labels.ts';

// Review 14 (adversarial, label author). Trigger: a label author sets
//   healer.liveness=http://:8080/  healer.liveness.body=[a-z]{1000}[a-z]{1000}...(8 times)...[0-9]
// and has their app answer 64 KiB of letters. re2js accepts it (each {1000} is within RE2's repeat
// limit; nothing bounds the size of the compiled program) and matches in time linear in
// body x program size: ~1 s per [a-z]{1000} on the test machine, run synchronously on healer's event
// loop (probes/http.ts calls policy.body.test(body) after the response). 8 copies hold the loop ~9 s,
// 100 copies (a 1.2 KB label) ~2 minutes, at every probe: no other container is probed or restarted,
// /healthz stops answering, the probe's own timeout cannot interrupt it. SECURITY.md rule 4 says a body
// pattern cannot freeze healer; re2js' linear time does not hold when the label chooses the program.
// What should happen: a pattern whose compiled program is too large is a label error naming
// healer.liveness.body (as RE2 itself refuses with "pattern too large"), or matching is bounded by the
// probe's timeout. This test asserts: the label is refused, or one match of a 64 KiB body ends within
// the default probe timeout (2 s).

const pattern = `${'[a-z]{1000}'.repeat(8)}[0-9]`;
const body = 'a'.repeat(64 * 1024);

describe('review14: a label body pattern cannot hold the event loop for seconds', () => {
  it('a large-program body pattern is refused or matches a 64 KiB body within the probe timeout', () => {
    const r = policyFromLabels({
      labels: { 'healer.enable': 'true', 'healer.liveness': 'http://:8080/', 'healer.liveness.body': pattern },
      prefix: 'healer',
      containerName: 'tenant',
      rawDefaults: {},
      imageHasHealthcheck: false,
    });
    if (!r.ok) {
      expect(r.errors.join('\n')).toContain('healer.liveness.body');
      return;
    }
    const matcher = r.policy.liveness?.body;
    expect(matcher).toBeDefined();
    const t0 = performance.now();
    const matched = matcher?.test(body);
    const ms = performance.now() - t0;
    expect(matched).toBe(false);
    expect(ms, `one body check held the event loop ${Math.round(ms)} ms`).toBeLessThan(2000);
  }, 120_000);
});
