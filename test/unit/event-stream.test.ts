import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/docker/engine.ts';
import { EventStream } from '../../src/docker/event-stream.ts';
import type { ContainerEvent } from '../../src/docker/types.ts';

// A broken event stream on its own (engine still up) cannot be produced on demand with a real engine,
// so the engine here hands out PassThrough streams the test ends or fails.
function fakeEngine(failOpens = 0) {
  const streams: PassThrough[] = [];
  let opens = 0;
  const engine = {
    describe: () => Promise.resolve({ engine: 'docker', version: '20.10.24', apiVersion: '1.41' }),
    openEvents: () => {
      opens++;
      if (opens > 1 && failOpens-- > 0) return Promise.reject(new Error('connect ECONNREFUSED /var/run/docker.sock'));
      const s = new PassThrough();
      streams.push(s);
      return Promise.resolve(s);
    },
  } as unknown as Engine;
  return { engine, streams, opens: () => opens };
}

const line = (id: string, action: string) => `${JSON.stringify({ Type: 'container', Action: action, Actor: { ID: id, Attributes: { name: id } }, time: 1 })}\n`;
const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
};

describe('EventStream', () => {
  it('delivers events split across chunks, reconnects with backoff after the stream ends, and asks for a resync', async () => {
    const { engine, streams, opens } = fakeEngine(2);
    const events: ContainerEvent[] = [];
    const connected: boolean[] = [];
    const lost: string[] = [];
    const es = new EventStream(
      engine,
      { onEvent: (e) => events.push(e), onConnected: (r) => void connected.push(r), onDisconnected: (e) => void lost.push(e.message) },
      pino({ level: 'silent' }),
      { initialMs: 5, maxMs: 20 },
    );
    await es.start();
    const first = line('a', 'start');
    streams[0]?.write(first.slice(0, 10));
    streams[0]?.write(first.slice(10) + line('a', 'health_status: unhealthy'));
    await until(() => events.length === 2);
    expect(events.map((e) => [e.id, e.action, e.health])).toEqual([['a', 'start', undefined], ['a', 'health_status', 'unhealthy']]);

    streams[0]?.end(); // the engine goes away
    await until(() => streams.length === 2);
    expect(opens()).toBe(4); // two refused reconnects, then a good one
    expect(lost[0]).toBe('the engine closed the event stream');
    expect(lost.slice(1)).toEqual(['connect ECONNREFUSED /var/run/docker.sock', 'connect ECONNREFUSED /var/run/docker.sock']);
    await until(() => connected.length === 2);
    expect(connected).toEqual([false, true]);
    expect(es.reconnects).toBe(1); // re-established once; the two refused attempts do not count

    streams[1]?.write(line('b', 'die'));
    await until(() => events.length === 3);
    await es.stop();
    expect(streams[1]?.destroyed).toBe(true);
  });
});
