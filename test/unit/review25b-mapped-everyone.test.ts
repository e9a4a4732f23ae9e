import { BlockList } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseProxyNet } from '../../src/config/proxies.ts';
import { clientAddress } from '../../src/web/forwarded.ts';

// Review 25b. `server.trusted_proxies` refuses a list that trusts everyone (`0.0.0.0/0`, `::/0`: README,
// SECURITY.md rule 5) because every client could then choose the address its wrong tokens are counted
// under. The check is `prefix === 0` on the entry as written, but BlockList matches IPv4 peers against
// IPv4-mapped IPv6 networks: `::ffff:0:0/96` (also written `::ffff:0.0.0.0/96`) is every IPv4 address,
// and is accepted.
// Trigger: trusted_proxies: ['::ffff:0:0/96'] (or HEALER_SERVER_TRUSTED_PROXIES=::ffff:0.0.0.0/96); any
// IPv4 client connecting directly sends X-Forwarded-For: <any address>.
// What happens: accepted at start and by `healer check`; every IPv4 client is a trusted proxy and is
// counted under the address it writes. What should: refused as 0.0.0.0/0 is (low: operator error needed).

describe('a trusted_proxies entry that is every IPv4 address in mapped form', () => {
  it('is refused as 0.0.0.0/0 is', () => {
    expect(parseProxyNet('0.0.0.0/0').ok).toBe(false);
    const r = parseProxyNet('::ffff:0:0/96');
    if (r.ok) {
      // (What accepting it means: a direct IPv4 client chooses its address.)
      const list = new BlockList();
      list.addSubnet(r.net.address, r.net.prefix, r.net.family);
      expect(clientAddress('203.0.113.9', '198.51.100.7', list)).toBe('198.51.100.7');
    }
    expect(r.ok).toBe(false);
    // (Fix s25-fix-b: the same for its other spellings and for wider networks holding it; a narrower one,
    // or half of IPv6 without the mapped range, is accepted, with the warning of any network entry.)
    for (const everyone of ['::ffff:0.0.0.0/96', '::/1', '::/64', '::ffff:0:0/95', '::/0']) expect(parseProxyNet(everyone).ok, everyone).toBe(false);
    for (const fine of ['::ffff:172.18.0.2/128', '::ffff:172.18.0.0/112', '8000::/1', '172.18.0.0/16', '::1']) expect(parseProxyNet(fine).ok, fine).toBe(true);
  });
});
