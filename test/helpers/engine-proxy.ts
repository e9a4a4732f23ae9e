import { connect, createServer, type Socket } from 'node:net';

/**
 * A byte-level proxy from 127.0.0.1 to the engine's unix socket that can break the event stream alone:
 * `cutEvents()` drops every connection that carried a GET .../events, and while `refuseEvents` is on,
 * new event requests get a 503; while `stallRestarts` is on, restart requests are never forwarded.
 * Everything else passes untouched. (A failure mode the real engine does
 * not produce on demand.)
 */
export async function startEngineProxy(socket = '/var/run/docker.sock'): Promise<{
  host: string;
  refuseEvents: boolean;
  /** While on, POST .../restart requests are swallowed: the engine never answers them. */
  stallRestarts: boolean;
  /** The next this many POST .../restart requests are refused with a 500, as an engine that failed them. */
  refuseRestarts: number;
  /** Requests seen, by first line (method and path without the API version). */
  readonly requests: string[];
  cutEvents(): number;
  close(): Promise<void>;
}> {
  const events = new Set<Socket>();
  const all = new Set<Socket>();
  const requests: string[] = [];
  const state = { refuseEvents: false, stallRestarts: false, refuseRestarts: 0 };
  const server = createServer((client) => {
    all.add(client);
    const upstream = connect(socket);
    all.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      events.delete(client);
      all.delete(client);
      all.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (chunk: Buffer) => {
      const head = chunk.toString('latin1', 0, Math.min(chunk.length, 512));
      for (const m of head.matchAll(/^(GET|POST|HEAD|DELETE|PUT) (\/v[\d.]+)?(\/[^ ?]*)/gm)) requests.push(`${m[1] ?? ''} ${m[3] ?? ''}`);
      if (/^GET (\/v[\d.]+)?\/events/m.test(head)) {
        if (state.refuseEvents) {
          client.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
          upstream.destroy();
          return;
        }
        events.add(client);
      }
      const restart = /^POST (\/v[\d.]+)?\/containers\/[^/ ]+\/restart/m.test(head);
      if (restart && state.refuseRestarts > 0) {
        state.refuseRestarts--;
        const body = '{"message":"Cannot restart container: refused by the test proxy"}';
        client.end(`HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
        upstream.destroy();
        return;
      }
      if (state.stallRestarts && restart) return;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    host: `tcp://127.0.0.1:${port}`,
    get refuseEvents() {
      return state.refuseEvents;
    },
    set refuseEvents(v: boolean) {
      state.refuseEvents = v;
    },
    get stallRestarts() {
      return state.stallRestarts;
    },
    set stallRestarts(v: boolean) {
      state.stallRestarts = v;
    },
    get refuseRestarts() {
      return state.refuseRestarts;
    },
    set refuseRestarts(v: number) {
      state.refuseRestarts = v;
    },
    requests,
    cutEvents() {
      const n = events.size;
      for (const s of events) s.destroy();
      events.clear();
      return n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of all) s.destroy();
        server.close(() => resolve());
      }),
  };
}
