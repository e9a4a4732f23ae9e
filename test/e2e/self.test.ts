import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/servers.ts';
import { appCommand, docker, execIn, newRunId, recordEvents, removeTestContainers, requireEngine, runContainer, sleep, TEST_LABEL, waitFor } from '../helpers/engine.ts';

// healer really running inside a container (the stand-in Node 24 base, with this built repository
// mounted read-only), labelled and failing its own probe like any other: it must heal its neighbour
// and never act on itself.
const repo = fileURLToPath(new URL('../..', import.meta.url));
const runId = newRunId();

beforeAll(async () => {
  await requireEngine();
  await docker.getImage('healer-test-node:latest').inspect();
});
afterAll(() => removeTestContainers(runId));

async function logsOf(id: string): Promise<string> {
  const buf = await docker.getContainer(id).logs({ stdout: true, stderr: true });
  return buf.toString('utf8');
}

describe('healer in a container', () => {
  it('never acts on its own container, while it heals a neighbour', async () => {
    const events = await recordEvents(runId);
    try {
      const failing = {
        'healer.enable': 'true',
        'healer.scope': runId,
        'healer.liveness': `http://:${await freePort()}/nothing-listens`,
        'healer.liveness.interval': '300ms',
        'healer.liveness.failures': '2',
        'healer.restart.timeout': '1s',
      };
      const neighbourPort = await freePort();
      const neighbour = await runContainer({ runId, name: 'neighbour', labels: { ...failing, 'healer.liveness': `http://:${neighbourPort}/health` }, cmd: appCommand(neighbourPort) });
      const healer = await docker.createContainer({
        name: `healer-self-${runId}`,
        Image: 'healer-test-node:latest',
        Cmd: ['node', '/app/dist/cli.js'],
        Env: [`HEALER_DISCOVERY_SCOPE=${runId}`, 'HEALER_CONFIG=', 'HEALER_STATE_PATH=/tmp/state.json', 'HEALER_SERVER_LISTEN=127.0.0.1:0'],
        Labels: { [TEST_LABEL]: runId, ...failing },
        HostConfig: { NetworkMode: 'host', Binds: [`${repo}:/app:ro`, '/var/run/docker.sock:/var/run/docker.sock'] },
      });
      await healer.start();

      await waitFor('healer watching its neighbour', async () => (await logsOf(healer.id)).includes('"msg":"watching container"'));
      await execIn(neighbour, ['rm', '/www/health']);
      await waitFor('neighbour restarted', () => events.count(neighbour, 'restart') >= 1);
      await sleep(1500); // healer's own probe has failed many times over by now

      const logs = await logsOf(healer.id);
      expect(logs).toContain('healer runs in a container; it will never act on it');
      expect(logs).not.toContain(`"container":"healer-self-${runId}"`);
      expect(events.count(healer.id, 'restart') + events.count(healer.id, 'kill') + events.count(healer.id, 'stop')).toBe(0);
      expect((await healer.inspect()).State.Running).toBe(true);

      await healer.stop({ t: 10 });
      const state = (await healer.inspect()).State;
      expect(state.ExitCode).toBe(0); // PID 1 handled SIGTERM itself
    } finally {
      events.close();
    }
  });
});
