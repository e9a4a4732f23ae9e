import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { policyFromLabels } from '../../src/config/labels.ts';
import type { ProbePolicy } from '../../src/config/policy.ts';
import { ExecStillRunning, ExecUnsettled, type Engine } from '../../src/docker/engine.ts';
import { execProber } from '../../src/probes/exec.ts';
import type { ProbeResult } from '../../src/probes/types.ts';
import { probeOnce } from '../../src/watchdog/probe-once.ts';

// Risk 2 of the last review: an exec probe's timeout started before the exec create, so an engine slow
// to create the exec (under load) used up the command's time: a false failure, and after `failures` of
// them a restart of a healthy container. README: the timeout measures the command; the exec create and
// the inspect after it each get the whole timeout of their own, and an engine that does not answer one
// in it is `probe could not run` (inconclusive: never counted as the container failing).

const TIMEOUT = 500;

function policy(): ProbePolicy {
  const labels = { 'healer.enable': 'true', 'healer.liveness': 'exec:check', 'healer.liveness.interval': '2s', 'healer.liveness.timeout': `${TIMEOUT}ms` };
  const r = policyFromLabels({ labels, prefix: 'healer', containerName: 'db', rawDefaults: {}, imageHasHealthcheck: false });
  if (!r.ok || !r.policy.liveness) throw new Error(r.ok ? 'no liveness' : r.errors.join('; '));
  return r.policy.liveness;
}

/** The exec API with each step's time: the create, the command (start → its output's end), the inspect. */
function engine(ms: { create: number; command: number; inspect: number }): Pick<Engine, 'exec'> {
  const wait = (n: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      const t = setTimeout(resolve, n);
      signal.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason as Error)), { once: true });
    });
  return {
    async exec(_id, _argv, signal, phase) {
      await wait(ms.create, signal);
      phase?.('command');
      await wait(ms.command, signal);
      phase?.('inspect');
      await wait(ms.inspect, signal);
      return { exitCode: 0, output: '' };
    },
  };
}

async function probe(ms: { create: number; command: number; inspect: number }): Promise<ProbeResult> {
  const run = probeOnce(policy(), execProber(engine(ms)), () => ({ ok: true, target: { containerId: 'c1', address: '127.0.0.1' } }), {});
  await vi.advanceTimersByTimeAsync(10_000);
  return (await run).result;
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('risk 2: an exec probe on an engine slow to set the exec up', () => {
  it('an exec create the engine does not answer within the timeout is inconclusive, not a failure', async () => {
    const r = await probe({ create: 3_000, command: 10, inspect: 10 });
    expect(r).toMatchObject({ ok: false, inconclusive: true });
    expect(r.error).toMatch(/could not run the probe: the engine did not answer the exec create within 500ms/);
  });

  it('a slow exec create does not eat the command time: create 300 ms + command 300 ms passes a 500 ms timeout', async () => {
    expect(await probe({ create: 300, command: 300, inspect: 300 })).toMatchObject({ ok: true });
  });

  it('a slow inspect after the command ended is inconclusive', async () => {
    expect(await probe({ create: 10, command: 10, inspect: 3_000 })).toMatchObject({ ok: false, inconclusive: true });
  });

  it('a command that does not finish within the timeout is still the container failing', async () => {
    const r = await probe({ create: 10, command: 3_000, inspect: 10 });
    expect(r).toMatchObject({ ok: false, error: `timed out after ${TIMEOUT}ms` });
    expect(r.inconclusive).toBeUndefined();
  });
});

describe('what the engine layer says at the timeout, as the probe reports it (docker/exec.ts; real engines: test/e2e/s24-exec)', () => {
  const failing = (err: Error): Pick<Engine, 'exec'> => ({ exec: () => Promise.reject(err) });
  const run = async (err: Error): Promise<ProbeResult> => {
    const r = probeOnce(policy(), execProber(failing(err)), () => ({ ok: true, target: { containerId: 'c1', address: '127.0.0.1' } }), {});
    await vi.advanceTimersByTimeAsync(10);
    return (await r).result;
  };

  it.each([
    [new ExecUnsettled('not-started'), `could not run the probe: the engine had not started the command within ${TIMEOUT}ms`],
    [new ExecUnsettled('unknown'), 'could not run the probe: the engine did not say whether the command had run by the timeout'],
  ])('%s is inconclusive', async (err, error) => {
    expect(await run(err)).toMatchObject({ ok: false, inconclusive: true, error });
  });

  it('an earlier probe\'s command still running is the container failing, as its timeout was', async () => {
    const r = await run(new ExecStillRunning('0123456789abcdef'));
    expect(r).toMatchObject({ ok: false, error: 'the command of an earlier probe is still running (exec 0123456789ab)' });
    expect(r.inconclusive).toBeUndefined();
  });
});
