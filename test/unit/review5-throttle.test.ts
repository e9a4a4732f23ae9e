import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics.ts';
import { startServer, type HttpServer } from '../../src/server.ts';

// Fifth review: the wrong-token limit (SECURITY.md rule 5: "after 10 wrong tokens (a wrong bearer header
// or a failed POST /login) within a minute, that address gets 429"). Fails on the code it was written against.

const TOKEN = 'a-token-of-twenty-chars';
let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(): Promise<number> {
  const sources = { watchdog: undefined, alerter: undefined };
  server = await startServer({ listen: { host: '127.0.0.1', port: 0 }, token: TOKEN, metrics: new Metrics(sources), sources, log: pino({ level: 'silent' }) });
  return server.port;
}

/** One POST /login on its own connection: headers now, the body when `send` is called; resolves to the status line and Set-Cookie. */
function login(port: number, token: string): { send: () => void; answer: Promise<string> } {
  const body = `token=${encodeURIComponent(token)}`;
  const socket = connect(port, '127.0.0.1');
  socket.write(`POST /login HTTP/1.1\r\nHost: healer\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString()));
  const answer = new Promise<string>((resolve) => socket.on('close', () => resolve(text)));
  return { send: () => socket.write(body), answer };
}

describe('review5: logins whose bodies come after their headers, on parallel connections from one address', () => {
  it('are judged no more than 10 times a minute (the limit is looked at when the headers arrive, the token judged after the body: never looked at again)', async () => {
    const port = await start();
    // 40 logins from 127.0.0.1, the right token as the 40th: 39 wrong guesses before it.
    const guesses = Array.from({ length: 40 }, (_, i) => (i === 39 ? TOKEN : `guess-${i}`));
    const logins = guesses.map((t) => login(port, t));
    await sleep(200); // every request's headers are in
    for (const l of logins) l.send();
    const answers = await Promise.all(logins.map((l) => l.answer));
    const judged = answers.filter((a) => a.startsWith('HTTP/1.1 303')).length;
    // The 40th guess (past 39 wrong ones) must not have been judged: it would tell the guesser the token.
    expect(answers[39]).not.toMatch(/set-cookie/i);
    expect(judged).toBeLessThanOrEqual(10);
  });
});
