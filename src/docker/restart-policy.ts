/**
 * What the engine's own restart policy does after a container exits, read from inspect data the same
 * way for Docker and Podman (both report RestartPolicy.Name, MaximumRetryCount and RestartCount, and
 * both reset RestartCount to 0 on an API start). healer never starts a container the engine is still
 * going to start (that would race it), and starts one the engine has given up on.
 */
import type { ContainerInfo } from './types.ts';

type PolicyInfo = Pick<ContainerInfo, 'restartPolicy' | 'restartRetries' | 'restartCount' | 'running' | 'restarting'>;

/** The engine brings the container back after a crash, for ever or for its `on-failure:N` retries. */
export function engineRestarts(info: Pick<ContainerInfo, 'restartPolicy'>): boolean {
  return info.restartPolicy !== 'no' && info.restartPolicy !== '';
}

/**
 * The engine has given up on it: `on-failure:N` whose N restarts are made (Docker and Podman restart a
 * crash only while RestartCount < N), and it is down and not being restarted. Only true from inspect
 * data read after the exit: the count is the engine's own, reset by any API start.
 */
export function engineGaveUp(info: PolicyInfo): boolean {
  const n = info.restartRetries ?? 0;
  return info.restartPolicy === 'on-failure' && n > 0 && info.restartCount >= n && !info.running && !info.restarting;
}

/** `on-failure:N` with N > 0: after a crash, whether the engine will start it again is read from inspect. */
export function engineMayGiveUp(info: Pick<ContainerInfo, 'restartPolicy' | 'restartRetries'>): boolean {
  return info.restartPolicy === 'on-failure' && (info.restartRetries ?? 0) > 0;
}
