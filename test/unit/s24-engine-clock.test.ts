import { createServer, type Server } from 'node:http';
import Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine, EngineError } from '../../src/docker/engine.ts';
import { engineClockFrom } from '../../src/docker/engine-clock.ts';

// The engine's clock, read from the HTTP Date header of GET /_ping (what the owed start of a restart is
// stamped with, so that a remote engine minutes off healer's clock is judged on its own clock). A stand-in
// engine on 127.0.0.1 answers with the headers Docker 20.10 and Podman 4.3 send (recorded with
// `curl -i --unix-socket ... /_ping`), its clock skewed by +/-10 minutes.

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

const DOCKER_HEADERS = { 'Api-Version': '1.41', 'Cache-Control': 'no-cache, no-store, must-revalidate', 'Docker-Experimental': 'false', Ostype: 'linux', Pragma: 'no-cache', Server: 'Docker/20.10.24+dfsg1 (linux)', 'Content-Type': 'text/plain; charset=utf-8' };
const PODMAN_HEADERS = { 'Api-Version': '1.41', 'Cache-Control': 'no-cache', 'Docker-Experimental': 'true', 'Libpod-Api-Version': '4.3.1', Pragma: 'no-cache', Server: 'Libpod/4.3.1 (linux)', 'Content-Type': 'text/plain; charset=utf-8' };

/** A stand-in engine whose clock is `skewMs` off; `date: false` leaves the Date header out (a proxy stripping it). */
async function standIn(skewMs: number, headers: Record<string, string>, date = true): Promise<Engine> {
  const server = createServer((req, res) => {
    res.sendDate = false;
    const h: Record<string, string> = { ...headers, 'Content-Length': '2' };
    if (date) h.Date = new Date(Date.now() + skewMs).toUTCString();
    res.writeHead(req.url?.endsWith('/_ping') ? 200 : 404, h).end('OK');
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return new Engine(new Docker({ host: '127.0.0.1', port, protocol: 'http', version: 'v1.41' }));
}

describe('s24: the engine\'s clock from its Date header', () => {
  it.each([
    ['Docker', 10 * 60_000, DOCKER_HEADERS],
    ['Docker', -10 * 60_000, DOCKER_HEADERS],
    ['Podman', 10 * 60_000, PODMAN_HEADERS],
    ['Podman', -10 * 60_000, PODMAN_HEADERS],
    ['Docker', 0, DOCKER_HEADERS],
  ] as const)('%s, clock %i ms off: the offset is read to within its slack', async (_name, skew, headers) => {
    const engine = await standIn(skew, headers);
    const c = await engine.clock(Date.now);
    // Whole seconds in the header: the slack is half a second plus half the round trip.
    expect(c.slackMs).toBeGreaterThanOrEqual(500);
    expect(c.slackMs).toBeLessThan(1_500);
    expect(Math.abs(c.offsetMs - skew)).toBeLessThanOrEqual(c.slackMs);
  });

  it('an answer without a Date header is an EngineError, not a zero offset', async () => {
    const engine = await standIn(0, DOCKER_HEADERS, false);
    await expect(engine.clock(Date.now)).rejects.toBeInstanceOf(EngineError);
  });

  it('reads IMF-fixdate whole seconds: the engine\'s time was in [date, date + 1 s) between send and answer', () => {
    const c = engineClockFrom('Tue, 24 Nov 2026 06:53:02 GMT', Date.parse('2026-11-24T07:03:02.200Z'), Date.parse('2026-11-24T07:03:02.400Z'));
    // Engine 10 minutes behind: the offset lies in [-600.4 s, -599.2 s].
    expect(c).toEqual({ offsetMs: -599_800, slackMs: 600 });
    expect(engineClockFrom('not a date', 0, 1)).toBeUndefined();
    expect(engineClockFrom(undefined, 0, 1)).toBeUndefined();
  });

  // Trigger (fails before the fix): a Date header with no zone (asctime, or a proxy dropping `GMT`) went to
  // Date.parse, which reads it in healer's own time zone: on a New York host the engine's clock was 5 h off.
  it('reads a Date header without a zone as GMT, whatever healer\'s time zone; an explicit zone is kept', () => {
    const tz = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      const at = Date.parse('2026-11-24T07:58:05.500Z');
      for (const d of ['Tue, 24 Nov 2026 07:58:05', 'Tue Nov 24 07:58:05 2026', 'Tue, 24 Nov 2026 07:58:05 GMT', 'Tuesday, 24-Nov-26 07:58:05 GMT']) {
        expect(engineClockFrom(d, at, at), d).toEqual({ offsetMs: 0, slackMs: 500 });
      }
      expect(engineClockFrom('Tue, 24 Nov 2026 08:58:05 +0100', at, at)).toEqual({ offsetMs: 0, slackMs: 500 });
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });
});
