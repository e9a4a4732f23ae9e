import { connect, createServer, type Socket } from 'node:net';

/**
 * A byte-level proxy from 127.0.0.1 to the engine's unix socket that can break the event stream alone:
 * `cutEvents()` drops every connection that carried a GET .../events, and while `refuseEvents` is on,
 * new event requests get a 503; while `stallRestarts` is on, restart requests are never forwarded;
 * while `refuseTasks` is on, GET /tasks/... gets HAProxy's 403, as from a socket proxy without TASKS=1;
 * `stallEvents()` keeps the event connections open now open but drops every byte the engine sends on
 * them from then on (a half-open connection through a NAT, a wedged publisher, a proxy that timed the
 * request out silently); new connections pass.
 * Everything else passes untouched. (A failure mode the real engine does
 * not produce on demand.)
 */
export async function startEngineProxy(socket = '/var/run/docker.sock'): Promise<{
  host: string;
  refuseEvents: boolean;
  /** While on, POST .../restart requests are swallowed: the engine never answers them. */
  stallRestarts: boolean;
  /**
   * While on, POST .../restart requests go to the engine as a stop: it carries out the stop half only, as
   * an engine from 23 on does when the client is gone before the start half (that start runs on the
   * request's context).
   */
  stopForRestarts: boolean;
  /** The next this many POST .../restart requests are refused with a 500, as an engine that failed them. */
  refuseRestarts: number;
  /** While on, GET .../tasks... requests are refused with a 403 (tecnativa's proxy without TASKS=1). */
  refuseTasks: boolean;
  /**
   * While set, GET /info is answered here: a string as the engine's Name (the rest of a real answer's
   * shape trimmed to what healer reads), `'refuse'` with HAProxy's 403 (a socket proxy without INFO=1).
   */
  info: { name: string } | 'refuse' | undefined;
  /**
   * While above 0, the answer to every GET /containers/json is held back this many ms after the request
   * (which goes to the engine at once, so its snapshot is taken then): a list slow to arrive.
   */
  delayLists: number;
  /** While set, event-stream chunks (one event each) containing this text are dropped: that container's events are lost. */
  dropEventsWith: string | undefined;
  /** While set, event-stream chunks containing `text` are written `ms` later (lost if the connection ends first): events slow to come. */
  delayEventsWith: { text: string; ms: number } | undefined;
  /** Event-stream chunks passed to healer (one event each), with when: what healer had when. */
  readonly passedEvents: { at: number; text: string }[];
  /** Requests seen, by first line (method and path without the API version). */
  readonly requests: string[];
  cutEvents(): number;
  /** Event connections open now stay open and deliver nothing more; returns how many. */
  stallEvents(): number;
  close(): Promise<void>;
}> {
  const events = new Set<Socket>();
  const stalled = new Set<Socket>();
  const all = new Set<Socket>();
  const requests: string[] = [];
  const passedEvents: { at: number; text: string }[] = [];
  const state: {
    refuseEvents: boolean;
    stallRestarts: boolean;
    stopForRestarts: boolean;
    refuseRestarts: number;
    refuseTasks: boolean;
    info: { name: string } | 'refuse' | undefined;
    delayLists: number;
    dropEventsWith: string | undefined;
    delayEventsWith: { text: string; ms: number } | undefined;
  } = {
    dropEventsWith: undefined,
    delayEventsWith: undefined,
    delayLists: 0,
    refuseEvents: false,
    stallRestarts: false,
    stopForRestarts: false,
    refuseRestarts: 0,
    refuseTasks: false,
    info: undefined,
  };
  const server = createServer((client) => {
    all.add(client);
    const upstream = connect(socket);
    all.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      events.delete(client);
      stalled.delete(client);
      all.delete(client);
      all.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    /** Answer bytes are written in order, none before `holdUntil` (a delayed list's). */
    let holdUntil = 0;
    /** An event answer's bytes not yet a whole HTTP chunk (while events are dropped or delayed). */
    let eventBuf = Buffer.alloc(0);
    let queue: Promise<void> = Promise.resolve();
    let pending = 0;
    client.on('data', (chunk: Buffer) => {
      const head = chunk.toString('latin1', 0, Math.min(chunk.length, 512));
      if (state.delayLists > 0 && /^GET (\/v[\d.]+)?\/containers\/json/m.test(head)) holdUntil = Date.now() + state.delayLists;
      for (const m of head.matchAll(/^(GET|POST|HEAD|DELETE|PUT) (\/v[\d.]+)?(\/[^ ?]*)/gm)) requests.push(`${m[1] ?? ''} ${m[3] ?? ''}`);
      if (/^GET (\/v[\d.]+)?\/events/m.test(head)) {
        if (state.refuseEvents) {
          client.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
          upstream.destroy();
          return;
        }
        events.add(client);
      }
      if (state.info !== undefined && /^GET (\/v[\d.]+)?\/info[ ?]/m.test(head)) {
        const info = state.info;
        const refused = info === 'refuse';
        const body = info === 'refuse' ? '<html><body><h1>403 Forbidden</h1></body></html>\n' : JSON.stringify({ Name: info.name, Swarm: { LocalNodeState: 'inactive' } });
        client.end(`HTTP/1.1 ${refused ? '403 Forbidden' : '200 OK'}\r\nContent-Type: ${refused ? 'text/html' : 'application/json'}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
        upstream.destroy();
        return;
      }
      if (state.refuseTasks && /^GET (\/v[\d.]+)?\/tasks/m.test(head)) {
        const body = '<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n';
        client.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
        upstream.destroy();
        return;
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
      if (state.stopForRestarts && restart) return void upstream.write(Buffer.from(chunk.toString('latin1').replace(/\/restart(?=[ ?])/, '/stop'), 'latin1'));
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (stalled.has(client)) return;
      if (events.has(client) && (state.dropEventsWith !== undefined || state.delayEventsWith !== undefined || eventBuf.length > 0)) {
        // Split into the answer's HTTP chunks (one event each), each dropped, delayed or passed alone.
        eventBuf = Buffer.concat([eventBuf, chunk]);
        for (;;) {
          const head = eventBuf.indexOf('\r\n\r\n');
          const isHeader = eventBuf.toString('latin1', 0, 5) === 'HTTP/';
          const eol = eventBuf.indexOf('\r\n');
          if (eol < 0 || (isHeader && head < 0)) break;
          const end = isHeader ? head + 4 : eol + 2 + parseInt(eventBuf.toString('latin1', 0, eol), 16) + 2;
          if (Number.isNaN(end) || eventBuf.length < end) break;
          const frame = eventBuf.subarray(0, end);
          eventBuf = eventBuf.subarray(end);
          const text = frame.toString('utf8');
          if (state.dropEventsWith !== undefined && text.includes(state.dropEventsWith)) continue;
          const delay = state.delayEventsWith;
          if (delay !== undefined && text.includes(delay.text)) {
            setTimeout(() => client.destroyed || (passedEvents.push({ at: Date.now(), text }), client.write(frame)), delay.ms);
            continue;
          }
          passedEvents.push({ at: Date.now(), text });
          client.write(frame);
        }
        return;
      }
      const wait = holdUntil - Date.now();
      // Nothing held back: written at once, as before delayLists existed.
      if (wait <= 0 && pending === 0) return void client.write(chunk);
      pending++;
      queue = queue.then(() => (wait > 0 ? new Promise<void>((r) => setTimeout(r, wait)) : undefined)).then(() => {
        pending--;
        if (!client.destroyed) client.write(chunk);
      });
    });
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
    get stopForRestarts() {
      return state.stopForRestarts;
    },
    set stopForRestarts(v: boolean) {
      state.stopForRestarts = v;
    },
    get refuseRestarts() {
      return state.refuseRestarts;
    },
    set refuseRestarts(v: number) {
      state.refuseRestarts = v;
    },
    get refuseTasks() {
      return state.refuseTasks;
    },
    set refuseTasks(v: boolean) {
      state.refuseTasks = v;
    },
    get delayLists() {
      return state.delayLists;
    },
    set delayLists(v: number) {
      state.delayLists = v;
    },
    get info() {
      return state.info;
    },
    set info(v: { name: string } | 'refuse' | undefined) {
      state.info = v;
    },
    get dropEventsWith() {
      return state.dropEventsWith;
    },
    set dropEventsWith(v: string | undefined) {
      state.dropEventsWith = v;
    },
    get delayEventsWith() {
      return state.delayEventsWith;
    },
    set delayEventsWith(v: { text: string; ms: number } | undefined) {
      state.delayEventsWith = v;
    },
    passedEvents,
    requests,
    stallEvents() {
      for (const s of events) stalled.add(s);
      return events.size;
    },
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
