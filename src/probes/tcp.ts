import { connect } from 'node:net';
import type { ProbePolicy } from '../config/policy.ts';
import { abortReason, type Prober, type ProbeResult, type ProbeTarget } from './types.ts';

/** TCP probe: success is an established connection, closed at once. */
export const tcpProber: Prober = {
  run(policy: ProbePolicy, target: ProbeTarget, signal: AbortSignal): Promise<ProbeResult> {
    const spec = policy.spec;
    if (spec.kind !== 'tcp') throw new Error(`tcp prober given a ${spec.kind} probe`);
    const host = target.connectTo ?? (spec.host === '' ? target.address : spec.host);
    const started = performance.now();
    const elapsed = (): number => Math.round((performance.now() - started) * 10) / 10;
    return new Promise((resolve) => {
      const socket = connect({ host, port: spec.port, signal });
      const done = (r: ProbeResult): void => {
        socket.destroy();
        resolve(r);
      };
      socket.once('connect', () => done({ ok: true, latencyMs: elapsed() }));
      socket.once('error', (err: NodeJS.ErrnoException) =>
        done({
          ok: false,
          latencyMs: elapsed(),
          error: signal.aborted ? abortReason(signal, policy.timeoutMs) : `${err.code ?? 'error'}: ${err.message}`,
        }),
      );
    });
  },
};
