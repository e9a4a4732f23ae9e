import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { MAX_CONNECTIONS } from '../../src/web/connections.ts';
import { sleep, spawnHealer, waitFor } from '../helpers/engine.ts';

// Review 24: the connection cap (src/web/connections.ts) closes the NEW connection when every open one is
// "being answered". A request counts as being answered from its headers until its response closes, so a
// request whose body arrives a byte a second (POST /login reads its body) is "being answered" for the
// whole 10 s requestTimeout, and the client opens the next one the moment healer closes it.
// Trigger: anyone who reaches the port keeps MAX_CONNECTIONS such POSTs open (64 sockets, one byte a
// second each, re-opened when closed). No token, no engine needed.
// What happens: every new connection (the image's HEALTHCHECK `healer healthcheck` → /healthz, Prometheus'
// scrape) is destroyed on arrival for as long as the client keeps going: the container goes unhealthy,
// the scrape fails. What should: /healthz (a request sent at once on a new connection) still gets in,
// as SECURITY.md rule 5 and connections.ts promise for floods of idle or slow clients.

/** One connection that sends a login's headers and then its body a byte a second, re-opened when closed. */
function slowBody(port: number, running: () => boolean, opened: () => void): void {
  const s: Socket = connect(port, '127.0.0.1');
  let timer: NodeJS.Timeout | undefined;
  s.on('error', () => undefined).resume();
  s.once('connect', () => {
    opened();
    s.write('POST /login HTTP/1.1\r\nHost: healer\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 4000\r\n\r\n');
    timer = setInterval(() => s.write('a'), 1_000);
  });
  s.once('close', () => {
    clearInterval(timer);
    if (running()) slowBody(port, running, opened);
  });
}

/** GET /healthz on a fresh connection, as `healer healthcheck` does; the status, or the error's code. */
function healthz(port: number): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', agent: false, timeout: 3_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

describe('connections held "being answered" by requests whose body trickles in', () => {
  it('do not keep /healthz out', { timeout: 60_000 }, async () => {
    const cleanups: (() => Promise<void>)[] = [];
    let running = true;
    try {
      const h = spawnHealer({ DOCKER_HOST: 'unix:///nonexistent/healer-r24.sock', HEALER_STATE_PATH: 'off', HEALER_HISTORY_PATH: 'off' }, (fn) => cleanups.push(fn));
      const up = await waitFor('the listener', () => h.lines.find((l) => l.msg.startsWith('http listener up')));
      const port = Number(String(up.address).split(':').pop());
      expect(await healthz(port)).toBe(503);
      let opened = 0;
      cleanups.push(() => Promise.resolve(void (running = false)));
      for (let i = 0; i < MAX_CONNECTIONS; i++) slowBody(port, () => running, () => opened++);
      await waitFor('the slow logins connected', () => opened >= MAX_CONNECTIONS || undefined);
      await sleep(500);
      const answers: (number | string)[] = [];
      for (let i = 0; i < 12; i++) {
        answers.push(await healthz(port));
        await sleep(1_000);
      }
      // 503: healer answers (not connected to an engine here); anything else is the connection cut.
      expect(answers.filter((a) => a === 503).length, `answers: ${answers.join(', ')}`).toBeGreaterThanOrEqual(10);
    } finally {
      running = false;
      for (const c of cleanups.reverse()) await c();
    }
  });
});
