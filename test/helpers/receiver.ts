import type { IncomingHttpHeaders } from 'node:http';
import { httpServer } from './servers.ts';

export interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly raw: string;
  readonly body: unknown;
  readonly at: number;
}

/**
 * A real HTTP receiver on 127.0.0.1 that records every request and answers as the test says:
 * a status (with headers), or never (hang).
 */
export async function receiver(answer: (n: number, req: Received) => { status: number; headers?: Record<string, string> } | 'hang' = () => ({ status: 200 })) {
  const got: Received[] = [];
  const srv = await httpServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      const r: Received = { path: req.url ?? '/', headers: req.headers, raw, body, at: Date.now() };
      got.push(r);
      const a = answer(got.length, r);
      if (a === 'hang') return;
      res.writeHead(a.status, a.headers).end(a.status >= 300 ? 'nope' : 'ok');
    });
  });
  return { url: `http://127.0.0.1:${srv.port}/hook`, port: srv.port, got, close: () => srv.close() };
}
