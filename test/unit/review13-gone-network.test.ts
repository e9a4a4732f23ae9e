import { describe, expect, it } from 'vitest';
import { policyFromLabels } from '../../src/config/labels.ts';
import { containerGone, wrap } from '../../src/docker/engine-error.ts';
import { initialState, step } from '../../src/watchdog/state-machine.ts';
import { watchRules } from '../../src/watchdog/watch-rules.ts';
import { syntheticContainer } from '../helpers/fake-engine.ts';

// Review 13: a start the engine refuses with 404 because something the container needs is missing is
// not "the container is gone". Recorded on this test bed (Docker 29, 2026-11-24):
//   docker network create --internal --subnet 198.18.77.0/24 r13net
//   docker create --name r13c --network r13net healer-test-busybox sleep 1000
//   docker network rm r13net
//   POST /containers/r13c/start   -> HTTP 404 {"message":"network r13net not found"}
//   POST /containers/r13c/restart -> HTTP 500 {"message":"Cannot restart container r13c: network r13net not found"}
// The container exists and is down. containerGone() takes every 404 as gone, so actor.ts's gone() logs
// "start skipped: the container is gone (removed)" at info, feeds restart_done gone (owedStart and the
// pending retry dropped), alerts nothing and never retries: an on_exit container, or one healer stopped
// for a restart whose start half failed, stays down for good without restart_failed. README: a start the
// engine refuses is alerted as restart_failed and retried; only a container removed under the action is gone.

/** What dockerode throws for an engine's error answer: statusCode and the parsed JSON body. */
const r13c = { id: 'c'.repeat(64), name: 'r13c' };
const r13k = { id: 'e'.repeat(64), name: 'r13k' };
const dockerodeError = (statusCode: number, message: string): Error =>
  Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message}`), { statusCode, json: { message } });

describe('review13: a start refused with 404 "network ... not found" is a failure, not a gone container', () => {
  it('Docker start of a container whose network was removed (recorded 404) is not gone', () => {
    const err = wrap('start r13c', 'POST /containers/{id}/start', dockerodeError(404, 'network r13net not found'));
    expect(err.status).toBe(404);
    expect(containerGone(err, r13c)).toBe(false);
  });
  it('the same refusal on restart (recorded 500) is already a failure', () => {
    const err = wrap('restart r13c', 'POST /containers/{id}/restart', dockerodeError(500, 'Cannot restart container r13c: network r13net not found'));
    expect(containerGone(err, r13c)).toBe(false);
  });
  // Recorded the same way: a container sharing the namespace of another (`--network container:r13n`,
  // compose's `network_mode: service:db`) whose owner was removed (`docker rm -f r13n`, or compose
  // re-creating the owner alone). The container r13k itself exists and is down; the engine names the
  // OWNER as missing. Start answers 404, restart 500 with "No such container": both read as gone today.
  const OWNER = '591f0435b1764b9d9478210aff0758deb6c820d23224e22caaeae900c1b024bb';
  it('Docker start of a container whose namespace owner was removed (recorded 404, owner named) is not gone', () => {
    const err = wrap('start r13k', 'POST /containers/{id}/start', dockerodeError(404, `No such container: ${OWNER}`));
    expect(containerGone(err, r13k)).toBe(false);
  });
  it('Docker restart of a container whose namespace owner was removed (recorded 500, owner named) is not gone', () => {
    const err = wrap('restart r13k', 'POST /containers/{id}/restart', dockerodeError(500, `Cannot restart container r13k: No such container: ${OWNER}`));
    expect(containerGone(err, r13k)).toBe(false);
  });
  // Podman 5 (sqlite) and 4 (boltdb) answer a start of a container removed while the start waited on its
  // lock (a --rm container's cleanup, podman rm -f) with 500 naming it as missing from the database.
  it("Podman's 500 naming this container as missing from its database is gone; naming another is not", () => {
    const id = 'c'.repeat(64);
    for (const m of [`no container with ID ${id} found in database: no such container`, `container ${id} does not exist in database: no such container`]) {
      expect(containerGone(wrap('start r13c', 'POST /containers/{id}/start', dockerodeError(500, m)), r13c)).toBe(true);
      expect(containerGone(wrap('start r13k', 'POST /containers/{id}/start', dockerodeError(500, m)), r13k)).toBe(false);
    }
  });
  it('a 404 that names the container itself stays gone', () => {
    const err = wrap('start r13c', 'POST /containers/{id}/start', dockerodeError(404, 'No such container: r13c'));
    expect(containerGone(err, r13c)).toBe(true);
    expect(containerGone(wrap('start r13c', 'POST /containers/{id}/start', dockerodeError(404, `No such container: ${'c'.repeat(64)}`)), r13c)).toBe(true);
  });
});

describe('review13: what the misreading does to an on_exit container (the input actor.ts:76 feeds)', () => {
  it('its refused start is alerted as restart_failed and retried, not dropped in silence', () => {
    const labels = { 'healer.restart.on_exit': 'true' };
    const result = policyFromLabels({ labels, prefix: 'healer', containerName: 'r13c', rawDefaults: {}, imageHasHealthcheck: false });
    if (!result.ok) throw new Error(result.errors.join('; '));
    const rules = watchRules(result.policy, syntheticContainer(0, labels), false);
    const crashed = step(initialState({ running: true, startedAt: 0 }), { type: 'stopped', by: 'exit', exitCode: 3, oom: false, at: 1000 }, rules);
    expect(crashed.actions.map((a) => a.type)).toEqual(['notify', 'start']);
    const err = wrap('start r13c', 'POST /containers/{id}/start', dockerodeError(404, 'network r13net not found'));
    // As actor.ts's act() does: gone() feeds restart_done gone; otherwise restart_done with the error and a retry.
    const input = containerGone(err, r13c)
      ? ({ type: 'restart_done', ok: false, gone: true, at: 1100 } as const)
      : ({ type: 'restart_done', ok: false, error: err.message, retry: { kind: 'start', reason: 'exited', cause: 'exit' }, at: 1100 } as const);
    const out = step(crashed.state, input, rules);
    expect(out.actions.map((a) => (a.type === 'notify' ? a.event : a.type))).toContain('restart_failed');
    expect(out.state.pending, 'a retry of the start is planned').toBeDefined();
  });
});
