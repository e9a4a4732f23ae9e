import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { MAX_CONNECTIONS } from '../../src/web/connections.ts';
import { sleep, spawnHealer, waitFor } from '../helpers/engine.ts';

// Session 24: healer's one listener had no bound on open connections.
// Trigger: anyone who reaches the port opens 1,500 connections and sends nothing (or sends its headers a
// byte at a time). healer (the process that holds the Docker socket) kept every one open: a file
// descriptor and memory each, without end, idle ones until node's 30 s check found them.
// What should happen: at most MAX_CONNECTIONS stay open (the oldest idle ones are closed for new ones), an
// idle connection is closed after the 5 s headers timeout, /healthz still answers during the flood, and
// healer is back to where it was once the flood ends.
// No engine here: healer's listener answers from start-up while the engine is still being retried.

const fds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;
const rssKb = (pid: number): number => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);

/** Opens `n` connections to 127.0.0.1:port that send nothing; `closed` counts those the server closed. */
async function flood(port: number, n: number): Promise<{ sockets: Socket[]; closed: () => number; end(): void }> {
  const sockets: Socket[] = [];
  let closed = 0;
  for (let i = 0; i < n; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, n - i) }, () => {
        const s = connect(port, '127.0.0.1');
        s.on('error', () => undefined).on('close', () => closed++).resume();
        sockets.push(s);
        return new Promise<void>((resolve) => s.once('connect', resolve).once('close', () => resolve()));
      }),
    );
  }
  return { sockets, closed: () => closed, end: () => sockets.forEach((s) => s.destroy()) };
}

async function healthz(port: number): Promise<{ status: number; body: unknown }> {
  const r = await fetch(`http://127.0.0.1:${port}/healthz`);
  return { status: r.status, body: await r.json() };
}

describe('a flood of idle connections to healer\'s listener', () => {
  it('keeps at most MAX_CONNECTIONS open, closes idle ones after the headers timeout, answers /healthz throughout, and recovers', { timeout: 60_000 }, async () => {
    const cleanups: (() => Promise<void>)[] = [];
    try {
      const h = spawnHealer({ DOCKER_HOST: 'unix:///nonexistent/healer-s24.sock', HEALER_STATE_PATH: 'off', HEALER_HISTORY_PATH: 'off' }, (fn) => cleanups.push(fn));
      const up = await waitFor('the listener', () => h.lines.find((l) => l.msg.startsWith('http listener up')));
      const port = Number(String(up.address).split(':').pop());
      const pid = h.child.pid ?? 0;
      expect((await healthz(port)).body).toEqual({ status: 'unhealthy', reason: 'not connected to the docker engine yet' });
      await sleep(500);
      const [fds0, rss0] = [fds(pid), rssKb(pid)];

      const f = await flood(port, 1500);
      cleanups.push(() => Promise.resolve(f.end()));
      await sleep(500);
      // Everything past the cap was closed by healer, not kept.
      expect(fds(pid)).toBeLessThanOrEqual(fds0 + MAX_CONNECTIONS + 5);
      expect(f.closed()).toBeGreaterThanOrEqual(1500 - MAX_CONNECTIONS);
      // /healthz gets in: a new connection that sends its request at once takes an idle one's place.
      for (let i = 0; i < 5; i++) expect((await healthz(port)).status).toBe(503);
      // The idle ones left are closed by healer after the 5 s headers timeout (node's own check: every 30 s).
      await waitFor('idle connections closed by healer', () => f.closed() === 1500, 9_000);
      expect(fds(pid)).toBeLessThanOrEqual(fds0 + 5);
      expect(rssKb(pid) - rss0).toBeLessThan(30 * 1024);
      expect(h.lines.filter((l) => l.msg.includes('connections open; the oldest idle ones are closed'))).toHaveLength(1);
      expect(await healthz(port)).toEqual({ status: 503, body: { status: 'unhealthy', reason: 'not connected to the docker engine yet' } });
    } finally {
      for (const c of cleanups.reverse()) await c();
    }
  });
});
