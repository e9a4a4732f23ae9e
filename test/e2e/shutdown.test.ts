import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { DatabaseSync } from 'node:sqlite';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/servers.ts';
import { docker, engineSuite, execIn, fastLabels, newRunId, recordEvents, runContainer, sleep, spawnHealer, waitFor } from '../helpers/engine.ts';
import { StateFile } from '../../src/watchdog/state-file.ts';

// healer itself is stopped (SIGTERM) or killed (SIGKILL) at awkward moments.
const suite = engineSuite();

const runHealer = (env: Record<string, string>) => spawnHealer({ HEALER_LOG_LEVEL: 'debug', ...env }, (fn) => suite.defer(fn));

describe('shutdown and restart of healer', () => {
  it('SIGTERM in the middle of a restart lets it finish: the container ends up running, never stopped', async () => {
    const runId = newRunId();
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    const port = await freePort();
    // Takes 1.5 s to stop on SIGTERM, so healer's restart is in flight for a while.
    const slow = ['sh', '-c', `mkdir -p /www; echo ok > /www/health; httpd -p 127.0.0.1:${port} -h /www; trap "sleep 1.5; exit 0" TERM; while true; do sleep 0.2; done`];
    const id = await runContainer({ runId, name: 'slow', labels: fastLabels(runId, `http://:${port}/health`, { 'healer.restart.timeout': '5s' }), cmd: slow });
    const h = runHealer({ HEALER_DISCOVERY_SCOPE: runId, HEALER_STATE_PATH: `${mkdtempSync(`${tmpdir()}/healer-term-`)}/state.json` });
    await waitFor('watching', () => h.lines.some((l) => l.msg === 'watching container'));
    await execIn(id, ['rm', '/www/health']);
    await waitFor('restart under way', () => h.lines.some((l) => l.msg === 'restarting container'));
    h.child.kill('SIGTERM');
    expect(await h.exited).toBe(0);
    const msgs = h.lines.map((l) => l.msg);
    expect(msgs.indexOf('container restarted')).toBeGreaterThan(msgs.indexOf('stopping: no new probes; waiting for in-flight work'));
    expect(msgs.at(-1)).toBe('healer stopped');
    const state = (await docker.getContainer(id).inspect()).State;
    expect(state.Running).toBe(true);
    expect(events.count(id, 'restart')).toBe(1);
  });

  it('SIGKILL at random points of a crash loop never leaves a state file that does not load', async () => {
    const runId = newRunId();
    const dir = mkdtempSync(`${tmpdir()}/healer-kill9-`);
    const path = `${dir}/state.json`;
    const labels = { 'healer.enable': 'true', 'healer.scope': runId, 'healer.restart.on_exit': 'true', 'healer.backoff.initial': '50ms', 'healer.backoff.max': '200ms', 'healer.crashloop.restarts': '1000' };
    // Deterministic "random" kill points, spread over the loop of writes.
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let writesSeen = 0;
    for (let round = 0; round < 8; round++) {
      const h = runHealer({ HEALER_DISCOVERY_SCOPE: runId, HEALER_STATE_PATH: path, HEALER_LOG_LEVEL: 'info' });
      await waitFor('watching', () => h.lines.some((l) => l.msg === 'watching'), 20_000);
      // Started under the first healer, so it sees them crash; later ones resume from the state file.
      if (round === 0) for (let i = 0; i < 3; i++) await runContainer({ runId, name: `crash${i}`, labels, cmd: ['sh', '-c', 'sleep 0.4; exit 3'] });
      await sleep(300 + Math.floor(next() * 1200));
      h.child.kill('SIGKILL');
      await h.exited;
      writesSeen += h.lines.filter((l) => l.msg === 'container started').length;
      const logs: string[] = [];
      const file = new StateFile(path, pino({ level: 'info' }, { write: (line: string) => void logs.push(line) }));
      file.load();
      expect(logs.join(''), `round ${round}`).toContain('restart history loaded');
      // The status page's history lives beside it (with its WAL): it must open and pass SQLite's own check.
      expect(readdirSync(dir).filter((f) => f !== 'state.json' && !f.startsWith('healer-history.db')).length, `round ${round}: leftover temporary files`).toBeLessThanOrEqual(1);
      const db = new DatabaseSync(`${dir}/healer-history.db`);
      expect(db.prepare('PRAGMA integrity_check').get(), `round ${round}: history database`).toEqual({ integrity_check: 'ok' });
      db.close();
    }
    expect(writesSeen).toBeGreaterThan(8); // the kills really landed in the middle of restarts and writes
  }, 120_000);
});
