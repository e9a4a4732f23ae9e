import type { ProbePolicy } from '../config/policy.ts';
import { ExecStillRunning, ExecUnsettled, type Engine } from '../docker/engine.ts';
import { abortReason, type Prober, type ProbeResult, type ProbeTarget } from './types.ts';

/** Exec probe: runs the command inside the container through the Engine's exec API; exit 0 is success. */
export function execProber(engine: Pick<Engine, 'exec'>): Prober {
  return {
    async run(policy: ProbePolicy, target: ProbeTarget, signal: AbortSignal, rearm?: () => void): Promise<ProbeResult> {
      const spec = policy.spec;
      if (spec.kind !== 'exec') throw new Error(`exec prober given a ${spec.kind} probe`);
      const started = performance.now();
      const elapsed = (): number => Math.round((performance.now() - started) * 10) / 10;
      // The timeout measures the command, from the exec start request to the end of its output; the exec
      // create before it and the inspect after it are engine calls, each given the whole timeout of its own
      // (rearm), and one the engine does not answer in it is an engine too slow to run the probe (under
      // load), not a failure of the container. At the timeout the engine is asked whether the command ran
      // at all: one it had not started yet is that too (docker/exec.ts).
      let phase = 'create' as 'create' | 'command' | 'inspect';
      const next = (p: 'command' | 'inspect'): void => {
        phase = p;
        rearm?.();
      };
      try {
        const { exitCode, output } = await engine.exec(target.containerId, spec.argv, signal, next, policy.timeoutMs, policy.role);
        if (exitCode === 0) return { ok: true, latencyMs: elapsed(), status: 0 };
        // The output is never shown: `mysqladmin -p…`, `redis-cli -a …` and friends echo what they were
        // given, and probe results reach /api/status, logs and alerts (SECURITY.md). Its size is a hint.
        const size = Buffer.byteLength(stripControl(output).trim());
        return { ok: false, latencyMs: elapsed(), status: exitCode, error: `exit code ${exitCode}${size > 0 ? ` (${size} bytes of output, not shown)` : ''}` };
      } catch (err) {
        if (err instanceof ExecStillRunning) return { ok: false, latencyMs: elapsed(), error: err.message };
        if (err instanceof ExecUnsettled) {
          const why = err.why === 'not-started' ? `the engine had not started the command within ${policy.timeoutMs}ms` : 'the engine did not say whether the command had run by the timeout';
          return { ok: false, latencyMs: elapsed(), error: `could not run the probe: ${why}`, inconclusive: true };
        }
        // A command that does not finish in time is the container's failure; an exec call the engine
        // (or a socket proxy) refuses or fails is not: that is reported, never acted on.
        const timedOut = signal.aborted && signal.reason instanceof Error && signal.reason.name === 'TimeoutError';
        if (timedOut && phase !== 'command') {
          return { ok: false, latencyMs: elapsed(), error: `could not run the probe: the engine did not answer the exec ${phase} within ${policy.timeoutMs}ms`, inconclusive: true };
        }
        if (signal.aborted) return { ok: false, latencyMs: elapsed(), error: abortReason(signal, policy.timeoutMs) };
        return { ok: false, latencyMs: elapsed(), error: `could not run the probe: ${(err as Error).message}`, inconclusive: true };
      }
    },
  };
}

/** Drops control characters (the exec stream's framing bytes among them) from output shown to users. */
function stripControl(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    if (code >= 32 || code === 10 || code === 9) out += ch;
  }
  return out;
}
