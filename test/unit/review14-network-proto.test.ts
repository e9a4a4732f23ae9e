import { describe, expect, it } from 'vitest';
import { resolveAddress } from '../../src/docker/address.ts';
import type { ContainerInfo } from '../../src/docker/types.ts';

// Review 14 (bad input from a label author). Trigger: `healer.network=constructor` (or toString,
// hasOwnProperty, __proto__, valueOf) on a bridge container with an empty-host probe (http://:8080/).
// What happens: resolveAddress() looks the name up with c.networks[opts.network] on a plain object, so
// an inherited Object.prototype member is found: { ok: true, address: [Function: Object] }. The probe
// then throws ("The \"options.host\" property must be of type string. Received function Object") and the
// watch is parked: "unexpected error; this container is no longer probed or acted on", an error that
// names neither the container's label nor its value (an http probe instead fails against a garbage
// origin and is counted as the container failing, so healer restarts it for a typo-like label).
// What should happen: the network is looked up among the container's own networks only: "has no
// address on network \"constructor\" (healer.network)", a configuration problem, never a probe.

const c = {
  id: 'a'.repeat(64),
  name: 'app',
  networkMode: 'bridge',
  networks: { bridge: '172.17.0.5' },
} as unknown as ContainerInfo;

describe('review14: healer.network naming an Object.prototype member is a network the container is not on', () => {
  it.each(['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf'])('healer.network=%s', (network) => {
    const r = resolveAddress(c, { network });
    expect(r).toEqual({ ok: false, error: `has no address on network "${network}" (healer.network)` });
  });
});
