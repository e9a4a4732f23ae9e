import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';

/**
 * Open connections healer's listener keeps at most. Anyone who reaches the port could otherwise open
 * thousands of idle or slow connections, each a file descriptor and some memory of the process that holds
 * the Docker socket. 64 is far more than its clients need: Prometheus, the image's HEALTHCHECK, a few
 * status pages polling every 2 s over keep-alive.
 */
export const MAX_CONNECTIONS = 64;

/** How often node looks for connections past headersTimeout/requestTimeout (its default is 30 s). */
export const CONNECTIONS_CHECK_MS = 1_000;

/**
 * Caps the open connections at `max`. A connection past the cap does not wait in line and is not simply
 * refused (node's `server.maxConnections` would refuse /healthz too, and the container's HEALTHCHECK with
 * it, for as long as a flood lasts): the oldest connection that is not being answered (idle between
 * keep-alive requests, or still sending its headers) is closed to make room, so a request sent right away
 * on a new connection, as the HEALTHCHECK and Prometheus do, gets in. Only when every connection is being
 * answered is the new one closed. A request counts as being answered once it has arrived in full (its
 * body included) until its answer is sent: one whose body is still trickling in (a POST /login sent a byte
 * a second) is a slow client like one still sending its headers, and is closed to make room, so 64 of
 * them cannot keep /healthz and the scrape out. Closed connections are counted and logged at most once a
 * minute.
 */
export function limitConnections(server: Server, max: number, log: Logger, now: () => number = Date.now): void {
  const open = new Set<Socket>();
  // The request each connection is answering now (until its response closes).
  const current = new WeakMap<Socket, IncomingMessage>();
  let dropped = 0;
  let loggedAt = -Infinity;

  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    if (open.size <= max) return;
    let victim = socket;
    // Set order is arrival order: the first idle one is the oldest.
    for (const s of open) {
      // `complete`: node has read the whole request, body included (whether or not a handler read it).
      if (s !== socket && current.get(s)?.complete !== true) {
        victim = s;
        break;
      }
    }
    open.delete(victim);
    victim.destroy();
    dropped++;
    if (now() - loggedAt >= 60_000) {
      loggedAt = now();
      log.warn({ max, dropped }, `http listener: more than ${max} connections open; the oldest idle ones are closed (idle or slow clients, or a flood)`);
      dropped = 0;
    }
  });
  server.on('request', (req, res) => {
    const socket = req.socket;
    current.set(socket, req);
    res.once('close', () => {
      if (current.get(socket) === req) current.delete(socket);
    });
  });
}
