import { describe, expect, it } from 'vitest';
import { alertHostName, hostnameIsContainerId } from '../../src/docker/host-name.ts';

const own = 'ab12cd34ef56'.padEnd(64, '0');

describe('alertHostName', () => {
  it('keeps a hostname that is not a container id without asking the engine', async () => {
    let asked = 0;
    const ask = () => (asked++, Promise.resolve({ name: 'vm' }));
    expect(await alertHostName({ ids: [own], hostname: 'nas' }, ask)).toEqual({ host: 'nas' });
    // 12 hex digits that are not healer's own id: a host may be named so.
    expect(await alertHostName({ ids: [own], hostname: 'deadbeef0123' }, ask)).toEqual({ host: 'deadbeef0123' });
    expect(asked).toBe(0);
  });

  it("asks the engine when the hostname is healer's container's short id", async () => {
    expect(hostnameIsContainerId({ ids: [own], hostname: own.slice(0, 12) })).toBe(true);
    expect(hostnameIsContainerId({ ids: [], hostname: own.slice(0, 12) })).toBe(true);
    expect(await alertHostName({ ids: [own], hostname: own.slice(0, 12) }, () => Promise.resolve({ name: 'pi-garage' }))).toEqual({ host: 'pi-garage' });
  });

  it('keeps the id and says why when the engine cannot tell (a socket proxy without INFO=1)', async () => {
    const named = await alertHostName({ ids: [own], hostname: own.slice(0, 12) }, () => Promise.resolve({ error: 'GET /info was refused (a socket proxy must allow INFO=1)' }));
    expect(named.host).toBe(own.slice(0, 12));
    expect(named.note).toContain('INFO=1');
    expect(named.note).toContain('hostname:');
  });
});
