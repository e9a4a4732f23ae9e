import { describe, expect, it } from 'vitest';
import { startEngineProxy } from '../helpers/engine-proxy.ts';
import { docker, engineSuite, newRunId, runContainer, sleep, startTestHealer, waitFor } from '../helpers/engine.ts';

// Review 24 (stall check): a working event stream, a container list that is slow to arrive (a busy
// engine, 2,000 containers, a proxy), and an operator's `docker rm` of an exited, watched container while
// one such list is in flight. The list's snapshot still has the container (exited); its `destroy` event
// comes (the stream works) before the answer. The audit forgets the container at the destroy, then reads
// the stale row as news and remembers it as listed; the next list lacks it: "gone, no destroy event
// came", and one grace later the healthy stream is declared stalled, reopened and resynchronised.
const suite = engineSuite();

/** How long each list's answer is held back: the window the `docker rm` lands in. */
const DELAY_MS = 2_000;

describe('review24: docker rm while the stall check\'s list is in flight', () => {
  it('a working stream is not declared stalled', async () => {
    const runId = newRunId();
    const proxy = await startEngineProxy();
    suite.defer(() => proxy.close());
    const labels = { 'healer.enable': 'true', 'healer.scope': runId };
    const gone = await runContainer({ runId, name: 'gone', labels, cmd: ['true'] });
    await waitFor('gone exited', async () => (await docker.getContainer(gone).inspect()).State.Running === false);
    const h = await startTestHealer({ HEALER_DISCOVERY_SCOPE: runId, DOCKER_HOST: proxy.host, HEALER_DOCKER_STALL_CHECK: '2s' });
    suite.defer(() => h.stop());
    const wd = h.healer.watchdog;
    await waitFor('gone watched', () => wd.watches.has(gone));
    await sleep(3_000); // the first list seeds the audit

    proxy.delayLists = DELAY_MS;
    const lists = (): number => proxy.requests.filter((r) => r === 'GET /containers/json').length;
    const before = lists();
    await waitFor('a stall-check list in flight', () => lists() > before, 10_000);
    await docker.getContainer(gone).remove({ v: true });
    await waitFor('healer saw the removal by its event', () => !wd.watches.has(gone), 5_000);

    // Two more rounds and the grace: interval 2 s + the held answer, twice, plus 10 s, plus margin (a
    // false stall is declared ~14 s after the removal: the list that lacks it is asked at ~4 s).
    await sleep(2 * (2_000 + DELAY_MS) + 10_000 + 6_000);
    expect(h.logs.filter((l) => l.msg.startsWith('docker event stream stalled')).map((l) => JSON.stringify(l.missed))).toEqual([]);
    expect(wd.eventStalls).toBe(0);
  }, 120_000);
});
