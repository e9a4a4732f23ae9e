import { readFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/docker/engine.ts';
import { EventStream } from '../../src/docker/event-stream.ts';
import { openEvents } from '../../src/docker/open-events.ts';
import { listedContainer, type ListedContainer } from '../../src/docker/list-states.ts';
import { STALL_GRACE_MS, StreamAudit } from '../../src/docker/stream-audit.ts';
import type { ContainerEvent } from '../../src/docker/types.ts';

// The stall check's judgement (stream-audit.ts) fed by hand on a virtual clock, the list's forms as each
// engine answers them (list-states.ts), and the stream dropped and reopened with no outage reported.
// The real engine behind a proxy that stalls the stream: test/e2e/s24-event-stall.test.ts.

const ev = (id: string, action: string, health?: string): ContainerEvent => ({ id, name: id, action, health, exitCode: undefined, signal: undefined, labels: {}, time: 0 });
const c = (id: string, run: ListedContainer['run'], health?: ListedContainer['health']): ListedContainer => ({ id, name: id, run, health });

describe('StreamAudit', () => {
  it('the first list only seeds; a change no event told is suspected, then confirmed once it outlasts the grace', () => {
    const a = new StreamAudit();
    expect(a.list([c('a', 'running'), c('b', 'running')], 0, 5)).toEqual([]);
    // a dies, b goes, n is new: nothing told.
    expect(a.list([c('a', 'exited'), c('n', 'running')], 60_000, 60_005)).toEqual([]);
    expect(a.suspicious).toBe(true);
    expect(a.list([c('a', 'exited'), c('n', 'running')], 60_000 + STALL_GRACE_MS - 10, 60_000 + STALL_GRACE_MS - 5)).toEqual([]);
    const missed = a.list([c('a', 'exited'), c('n', 'running')], 60_000 + STALL_GRACE_MS, 60_000 + STALL_GRACE_MS + 5);
    expect(missed.map((m) => [m.id, m.what]).sort()).toEqual([
      ['a', 'exited, the events said running'],
      ['b', 'gone, no destroy event came'],
      ['n', 'running, no start event came'],
    ]);
  });

  it('events that told the changes leave nothing to find, also when they come after the list was asked for', () => {
    const a = new StreamAudit();
    a.list([c('a', 'running'), c('b', 'running')], 0, 5);
    a.event(ev('a', 'die'), 100);
    a.event(ev('b', 'destroy'), 100);
    expect(a.list([c('a', 'exited')], 60_000, 60_005)).toEqual([]);
    expect(a.suspicious).toBe(false);
    // The list (asked at 120 s) shows the start of n before its event arrives (at 120.01 s): no suspicion.
    a.event(ev('n', 'start'), 120_010);
    expect(a.list([c('a', 'exited'), c('n', 'running')], 120_000, 120_020)).toEqual([]);
    expect(a.suspicious).toBe(false);
  });

  it('an event of the container during the grace clears the suspicion (it was only late: Podman holds a die up to 5 s)', () => {
    const a = new StreamAudit();
    a.list([c('a', 'running')], 0, 5);
    expect(a.list([c('a', 'exited')], 60_000, 60_005)).toEqual([]);
    a.event(ev('a', 'die'), 65_000);
    expect(a.list([c('a', 'exited')], 60_000 + STALL_GRACE_MS, 60_000 + STALL_GRACE_MS + 5)).toEqual([]);
    expect(a.suspicious).toBe(false);
  });

  it('health the list shows (Docker) and no health_status told; passing states and unlabelled containers are not judged', () => {
    const a = new StreamAudit();
    a.list([c('h', 'running', 'starting'), c('r', 'exited')], 0, 5);
    a.event(ev('h', 'health_status', 'healthy'), 10);
    a.event(ev('x', 'start'), 10); // not in the (labelled) list: none of healer's
    a.event(ev('r', 'die'), 10);
    expect(a.list([c('h', 'running', 'unhealthy'), c('r', undefined)], 60_000, 60_001)).toEqual([]);
    expect(a.list([c('h', 'running', 'unhealthy'), c('r', undefined)], 70_000, 70_001).map((m) => m.what)).toEqual(['unhealthy, the events said healthy']);
  });

  it('a reset (the stream reopened) forgets what was told and seeds again', () => {
    const a = new StreamAudit();
    a.list([c('a', 'running')], 0, 5);
    a.list([c('a', 'exited')], 60_000, 60_005);
    a.reset();
    expect(a.suspicious).toBe(false);
    expect(a.list([c('a', 'exited')], 70_000, 70_005)).toEqual([]);
    expect(a.list([c('a', 'exited')], 90_000, 90_005)).toEqual([]);
  });
});

describe('listedContainer: the list as each engine answers it', () => {
  it.each([
    ['Docker 20.10, healthy', { Id: 'i', Names: ['/web'], State: 'running', Status: 'Up 2 minutes (healthy)' }, { id: 'i', name: 'web', run: 'running', health: 'healthy' }],
    ['Docker 20.10, starting', { Id: 'i', Names: ['/web'], State: 'running', Status: 'Up 1 second (health: starting)' }, { id: 'i', name: 'web', run: 'running', health: 'starting' }],
    ['Docker 20.10, paused', { Id: 'i', Names: ['/web'], State: 'paused', Status: 'Up 5 seconds (Paused)' }, { id: 'i', name: 'web', run: 'paused', health: undefined }],
    ['Docker API 1.52, Health field', { Id: 'i', Names: ['/web'], State: 'running', Status: 'Up 2 minutes', Health: { Status: 'unhealthy' } }, { id: 'i', name: 'web', run: 'running', health: 'unhealthy' }],
    ['Docker, dead', { Id: 'i', Names: ['/web'], State: 'dead', Status: 'Dead' }, { id: 'i', name: 'web', run: 'exited', health: undefined }],
    ['Docker, restarting (its restart policy will start it)', { Id: 'i', Names: ['/web'], State: 'restarting', Status: 'Restarting (1) 1 second ago' }, { id: 'i', name: 'web', run: 'restarting', health: undefined }],
    // Measured on podman 4.3: no health in the list at all.
    ['Podman 4.3, running with a HEALTHCHECK', { Id: 'i', Names: ['/web'], State: 'running', Status: 'Up 1 second' }, { id: 'i', name: 'web', run: 'running', health: undefined }],
    ['Podman 4.3, exited', { Id: 'i', Names: ['/web'], State: 'exited', Status: 'Exited (3) 1 second ago' }, { id: 'i', name: 'web', run: 'exited', health: undefined }],
    ['Podman, stopped', { Id: 'i', Names: ['/web'], State: 'stopped', Status: '' }, { id: 'i', name: 'web', run: 'exited', health: undefined }],
    ['Podman, configured (passing)', { Id: 'i', Names: ['/web'], State: 'configured', Status: '' }, { id: 'i', name: 'web', run: undefined, health: undefined }],
  ])('%s', (_what, raw, want) => {
    expect(listedContainer(raw)).toEqual(want);
  });

  it("Engine 29's recorded list (test/fixtures/engine-29/containers.json)", () => {
    const raw = JSON.parse(readFileSync(new URL('../fixtures/engine-29/containers.json', import.meta.url), 'utf8')) as { Id: string }[];
    expect(raw.map(listedContainer).map((l) => [l.run, l.health])).toEqual([['running', 'unhealthy']]);
  });
});

describe('EventStream with the stall check', () => {
  it('drops a stream whose list shows what no event told, reopens it at once, resyncs, and reports no outage', async () => {
    const streams: PassThrough[] = [];
    let list: ListedContainer[] = [c('a', 'running')];
    const engine = {
      describe: () => Promise.resolve({ engine: 'docker', version: '20.10.24', apiVersion: '1.41' }),
      openEvents: () => {
        const s = new PassThrough();
        streams.push(s);
        return Promise.resolve(s);
      },
      listStates: (labels: readonly string[]) => {
        expect(labels).toEqual(['healer.enable']);
        return Promise.resolve(list);
      },
    } as unknown as Engine;
    const connected: boolean[] = [];
    const lost: string[] = [];
    // A virtual clock: the grace passes as the test says.
    let now = 0;
    const logs: { msg: string; missed?: unknown }[] = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => void logs.push(JSON.parse(l) as { msg: string }) });
    const es = new EventStream(engine, { onEvent: () => undefined, onConnected: (r) => void connected.push(r), onDisconnected: (e) => void lost.push(e.message) }, log, { initialMs: 5, maxMs: 5 }, undefined, { intervalMs: 20, labels: ['healer.enable'], now: () => now });
    await es.start();
    await new Promise((r) => setTimeout(r, 60));
    list = [c('a', 'exited')];
    await new Promise((r) => setTimeout(r, 60));
    expect(streams).toHaveLength(1);
    now = STALL_GRACE_MS + 1;
    for (let i = 0; i < 200 && streams.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(streams).toHaveLength(2);
    expect(streams[0]?.destroyed).toBe(true);
    expect(es.stalls).toBe(1);
    expect(es.reconnects).toBe(1);
    expect(connected).toEqual([false, true]);
    expect(lost).toEqual([]);
    expect(logs.map((l) => [l.msg, l.missed])).toEqual([
      ['docker event stream stalled: the container list shows changes no event told; reconnecting and resynchronising', [{ container: 'a', id: 'a', what: 'exited, the events said running' }]],
    ]);
    await es.stop();
  });
});

describe('openEvents', () => {
  it('gives up on an answer that never comes (a proxy that takes the request and says nothing), so a reconnect is not held for ever', async () => {
    const held: Socket[] = [];
    const server = createServer((s) => void held.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const docker = new Docker({ host: '127.0.0.1', port: (server.address() as { port: number }).port, protocol: 'http' });
      const t0 = Date.now();
      await expect(openEvents(docker, 'docker', undefined, 300)).rejects.toThrow(/follow events.*did not answer within/);
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(held).toHaveLength(1);
    } finally {
      for (const s of held) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});
