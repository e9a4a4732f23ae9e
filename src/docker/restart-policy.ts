/**
 * What the engine's own restart policy does after a container exits, read from inspect data the same
 * way for Docker and Podman (both report RestartPolicy.Name, MaximumRetryCount and RestartCount, and
 * both reset RestartCount to 0 on an API start). healer never starts a container the engine is still
 * going to start (that would race it), and starts one the engine has given up on.
 *
 * Docker (moby 20.10 to 29.x, daemon/kill.go killWithSignal) switches a container's policy off on a
 * `docker kill` with ANY signal until the next API start: it sets HasBeenManuallyStopped (unless-stopped
 * no longer restarts) and, when the container sets no STOPSIGNAL or the signal is its stop signal,
 * cancels its restart manager (always and on-failure no longer restart either). Neither mark is in
 * inspect, but Docker's verdict on an exit is: it sets Restarting, or leaves the container exited, before
 * it sends the `die` (daemon/monitor.go handleContainerExit, under the container's lock). So healer reads
 * the verdict after each exit instead of guessing from the policy's name; Podman restarts after its
 * `died` event (and restarts a crash after a HUP), so there only on-failure:N's count is read.
 */
import type { ContainerInfo } from './types.ts';

type PolicyInfo = Pick<ContainerInfo, 'restartPolicy' | 'restartRetries' | 'restartCount' | 'running' | 'restarting' | 'decidesRestartAtExit'>;

/** The engine brings the container back after a crash, for ever or for its `on-failure:N` retries. */
export function engineRestarts(info: Pick<ContainerInfo, 'restartPolicy'>): boolean {
  return info.restartPolicy !== 'no' && info.restartPolicy !== '';
}

/**
 * The engine has given up on it: it is down and not being restarted, and either its `on-failure:N`
 * restarts are made (Docker and Podman restart a crash only while RestartCount < N), or the engine
 * decides at the exit (Docker) and left it down (after a `docker kill`, a failed restart). Only true from
 * inspect data read after the exit it is about (the caller checks that: container-watch.ts).
 */
export function engineGaveUp(info: PolicyInfo): boolean {
  if (!engineRestarts(info) || info.running || info.restarting) return false;
  const n = info.restartRetries ?? 0;
  return (info.restartPolicy === 'on-failure' && n > 0 && info.restartCount >= n) || info.decidesRestartAtExit === true;
}

/** `on-failure:N` with N > 0: after a crash, whether the engine will start it again is read from inspect. */
export function engineMayGiveUp(info: Pick<ContainerInfo, 'restartPolicy' | 'restartRetries'>): boolean {
  return info.restartPolicy === 'on-failure' && (info.restartRetries ?? 0) > 0;
}

/** Whether the engine's verdict on an exit is read from inspect after it (engineGaveUp can become true). */
export function verdictAfterExit(info: Pick<ContainerInfo, 'restartPolicy' | 'restartRetries' | 'decidesRestartAtExit'>): boolean {
  return engineMayGiveUp(info) || (engineRestarts(info) && info.decidesRestartAtExit === true);
}
