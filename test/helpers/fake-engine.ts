import { PassThrough, type Readable } from 'node:stream';
import type { Engine } from '../../src/docker/engine.ts';
import type { ContainerInfo } from '../../src/docker/types.ts';

/**
 * An in-memory engine with N synthetic containers, for scale runs past what one test host can start as
 * real containers (2,000 probe targets). It answers what the watchdog asks, records actions and counts
 * Engine API calls; the probes it carries go to real servers on 127.0.0.1.
 */
export function fakeEngine(containers: readonly ContainerInfo[]): { engine: Engine; calls: Map<string, number>; restarts: string[]; inspects: { inFlight: number; max: number } } {
  const byId = new Map(containers.map((c) => [c.id, c]));
  const calls = new Map<string, number>();
  const restarts: string[] = [];
  const inspects = { inFlight: 0, max: 0 };
  const count = (name: string): void => void calls.set(name, (calls.get(name) ?? 0) + 1);
  const engine = {
    // Its containers' addresses are given, not resolved: no network drivers to learn (main.ts sets onRefused).
    networks: { onRefused: undefined, refused: undefined },
    ping: () => (count('ping'), Promise.resolve()),
    clock: () => (count('clock'), Promise.resolve({ offsetMs: 0, slackMs: 500 })),
    describe: () => Promise.resolve({ engine: 'docker', version: 'in-memory', apiVersion: '1.41' }),
    listIds: () => (count('list'), Promise.resolve([...byId.keys()])),
    inspect: async (id: string) => {
      count('inspect');
      inspects.max = Math.max(inspects.max, ++inspects.inFlight);
      await new Promise((r) => setImmediate(r)); // answered on a later turn, as over a socket
      inspects.inFlight--;
      return byId.get(id);
    },
    restart: (id: string) => (count('restart'), restarts.push(id), Promise.resolve()),
    start: () => (count('start'), Promise.resolve()),
    stop: () => (count('stop'), Promise.resolve()),
    taskStanding: () => (count('task'), Promise.resolve({ kind: 'unknown', why: 'this engine is not a Swarm manager', lasting: true })),
    exec: () => (count('exec'), Promise.resolve({ exitCode: 0, output: '' })),
    logs: () => (count('logs'), Promise.resolve([])),
    openEvents: (): Promise<Readable> => {
      count('events');
      return Promise.resolve(new PassThrough()); // an event stream that stays open and quiet
    },
  };
  return { engine: engine as unknown as Engine, calls, restarts, inspects };
}

/** A synthetic running container with these labels, on the host network. */
export function syntheticContainer(i: number, labels: Record<string, string>): ContainerInfo {
  return {
    id: `a${i.toString(16).padStart(63, '0')}`,
    name: `synthetic-${i}`,
    image: 'synthetic:1',
    labels,
    running: true,
    paused: false,
    restarting: false,
    startedAt: Date.now(),
    finishedAt: 0,
    exitCode: 0,
    oomKilled: false,
    restartCount: 0,
    restartPolicy: 'no',
    health: undefined,
    hasHealthcheck: false,
    stopSignal: undefined,
    networkMode: 'host',
    networks: {},
    project: undefined,
    service: undefined,
  };
}
