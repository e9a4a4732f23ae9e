import { copyFileSync, cpSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundle } from '../../scripts/bundle.ts';
import { freePort } from '../helpers/servers.ts';
import { receiver } from '../helpers/receiver.ts';
import { appCommand, engineSuite, execIn, fastLabels, newRunId, recordEvents, runContainer, spawnHealer, waitFor } from '../helpers/engine.ts';

// The bundle the image ships (cli.js and the status page's assets/), copied alone into an empty directory (no node_modules to fall back on),
// run on the real engine: a dependency the bundler missed, a dynamic import or a file read at run time
// fails here. The image test (image.test.ts) runs the same bundle in healer's image.
const suite = engineSuite();
let dir: string;

beforeAll(async () => {
  const build = mkdtempSync(join(tmpdir(), 'healer-bundle-build-'));
  await bundle(join(build, 'cli.js'));
  dir = mkdtempSync(join(tmpdir(), 'healer-bundle-run-'));
  copyFileSync(join(build, 'cli.js'), join(dir, 'cli.js'));
  cpSync(join(build, 'assets'), join(dir, 'assets'), { recursive: true });
  cpSync(join(build, 'first-use'), join(dir, 'first-use'), { recursive: true });
}, 60_000);

describe('the shipped bundle, alone, on the real engine', () => {
  it('watches, heals a container, alerts through a webhook, and stops cleanly', async () => {
    const runId = newRunId();
    const events = await recordEvents(runId);
    suite.defer(() => events.close());
    const hook = await receiver();
    suite.defer(() => hook.close());
    const port = await freePort();
    const id = await runContainer({ runId, name: 'bundled', labels: fastLabels(runId, `http://:${port}/health`), cmd: appCommand(port) });
    writeFileSync(join(dir, 'watchdog.yml'), `alerts:\n  retries: 1\n  timeout: 1s\n  channels:\n    - name: hook\n      type: webhook\n      url: ${hook.url}\n`);

    const listen = await freePort();
    const h = spawnHealer(
      { HEALER_DISCOVERY_SCOPE: runId, HEALER_CONFIG: join(dir, 'watchdog.yml'), HEALER_STATE_PATH: join(dir, 'state.json'), HEALER_SERVER_LISTEN: `127.0.0.1:${listen}` },
      (fn) => suite.defer(fn),
      join(dir, 'cli.js'),
    );
    await waitFor('watching', () => h.lines.some((l) => l.msg === 'watching container'));
    // The status page's files are read beside the bundle.
    const page = await fetch(`http://127.0.0.1:${listen}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script src="/app.js" defer></script>');
    expect((await fetch(`http://127.0.0.1:${listen}/app.js`)).status).toBe(200);
    await execIn(id, ['rm', '/www/health']);
    await waitFor('restarted by the bundle', () => events.count(id, 'restart') >= 1);
    await waitFor('recovered', () => h.lines.some((l) => l.msg === 'container recovered'));
    await waitFor('webhook alert delivered', () => hook.got.length >= 1);
    expect(JSON.stringify(hook.got[0]?.body)).toContain(`bundled-${runId}`);

    h.child.kill('SIGTERM');
    expect(await h.exited).toBe(0);
    expect(h.lines.at(-1)?.msg).toBe('healer stopped');
    // Nothing else beside it but the history (history.path defaults to beside the state file).
    expect(readdirSync(dir).sort()).toEqual(['assets', 'cli.js', 'first-use', 'healer-history.db', 'state.json', 'watchdog.yml']);
  });
});
