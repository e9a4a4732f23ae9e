import { createServer, request, type IncomingHttpHeaders } from 'node:http';

/**
 * An HTTP proxy from 127.0.0.1 to the engine's unix socket that makes the engine look as if its clock
 * were `skewMs` off, as a remote engine on a host without NTP: the `Date` header of every answer, and the
 * times in container inspect data (State.StartedAt, State.FinishedAt, RFC 3339) and `/info`'s SystemTime,
 * are moved by it (Go's zero time, "never", is left). Other answers (the event stream, logs) pass as they
 * come. While `stopForRestarts` is on, POST .../restart goes to the engine as a stop (the stop half only,
 * as an engine from 23 on carries out when healer is killed before the start half).
 */
export async function startSkewProxy(skewMs: number, socket = '/var/run/docker.sock'): Promise<{ host: string; stopForRestarts: boolean; readonly requests: string[]; close(): Promise<void> }> {
  const state = { stopForRestarts: false };
  const requests: string[] = [];
  const shiftHeaders = (h: IncomingHttpHeaders): IncomingHttpHeaders => (h.date ? { ...h, date: new Date(Date.parse(h.date) + skewMs).toUTCString() } : h);
  const server = createServer((req, res) => {
    let path = req.url ?? '/';
    requests.push(`${req.method ?? ''} ${path.replace(/^\/v[\d.]+/, '').replace(/\?.*$/, '')}`);
    if (state.stopForRestarts && req.method === 'POST') path = path.replace(/\/restart(?=$|\?)/, '/stop');
    const up = request({ socketPath: socket, method: req.method, path, headers: req.headers }, (upRes) => {
      const json = /application\/json/.test(upRes.headers['content-type'] ?? '') && !/\/events(\?|$)/.test(path);
      if (!json) {
        res.writeHead(upRes.statusCode ?? 502, shiftHeaders(upRes.headers));
        // The event stream's head goes at once: the engine sends nothing more until an event.
        res.flushHeaders();
        upRes.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      upRes.on('data', (c: Buffer) => chunks.push(c));
      upRes.on('end', () => {
        const body = Buffer.from(shiftTimes(Buffer.concat(chunks).toString('utf8'), skewMs), 'utf8');
        const { 'transfer-encoding': _te, 'content-length': _cl, ...headers } = shiftHeaders(upRes.headers);
        res.writeHead(upRes.statusCode ?? 502, { ...headers, 'content-length': String(body.length) });
        res.end(body);
      });
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
    res.on('close', () => up.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    host: `tcp://127.0.0.1:${port}`,
    get stopForRestarts() {
      return state.stopForRestarts;
    },
    set stopForRestarts(v: boolean) {
      state.stopForRestarts = v;
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Moves the engine's RFC 3339 times in a JSON answer by `skewMs` (whole seconds kept, the fraction as written). */
function shiftTimes(text: string, skewMs: number): string {
  return text.replace(/"(StartedAt|FinishedAt|SystemTime)":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)"/g, (all, key: string, whole: string, frac: string | undefined, zone: string) => {
    if (whole.startsWith('0001-')) return all;
    const moved = new Date(Date.parse(`${whole}${zone}`) + skewMs).toISOString().slice(0, 19);
    return `"${key}":"${moved}${frac ?? ''}Z"`;
  });
}
