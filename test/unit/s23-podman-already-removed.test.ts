import { describe, expect, it } from 'vitest';
import { containerGone, wrap } from '../../src/docker/engine-error.ts';

// Podman answers an action on a container removed meanwhile (its in-memory record invalidated: the first
// lookup after the removal says "no container with ID ... found in database", later ones this) with HTTP
// 500 and define.ErrCtrRemoved's text, bare: libpod/define/errors.go
//   ErrCtrRemoved = errors.New("container has already been removed")
// returned unwrapped by the state's UpdateContainer (`if !ctr.valid { return define.ErrCtrRemoved }`)
// that every start/stop/restart/kill syncs through. The action named one container id, and the text names
// none: it is about that container. Recorded form (the API's error body): {"cause":"container has already
// been removed","message":"container has already been removed","response":500}.

const self = { id: 'a'.repeat(64), name: 's23' };
const dockerodeError = (statusCode: number, message: string): Error =>
  Object.assign(new Error(`(HTTP code ${statusCode}) server error - ${message} `), { statusCode, json: { cause: message, message, response: statusCode } });

// Triggered for real on this test bed's Podman 4.3 service (2026-11-24): a compat POST
// /containers/s23pm/restart?t=10 of a container slow to stop, raced 50 ms later by DELETE
// /containers/s23pm?force=true&t=0, answers
//   500 {"cause":"container has already been removed","message":"saving container af20e616fae3...(64 hex)
//   state: container has already been removed","response":500}
// (stop, start and kill raced the same way answered 204 here: the removal waited for them).
const recorded = `saving container ${self.id} state: container has already been removed`;

describe("s23: Podman's 500 'container has already been removed' is the container gone", () => {
  it('the recorded restart answer naming this container is gone; naming another is not', () => {
    expect(containerGone(wrap('restart s23', 'POST /containers/{id}/restart', dockerodeError(500, recorded)), self)).toBe(true);
    expect(containerGone(wrap('restart s23', 'POST /containers/{id}/restart', dockerodeError(500, recorded)), { id: 'b'.repeat(64), name: 'other' })).toBe(false);
    expect(containerGone(wrap('restart s23', 'POST /containers/{id}/restart', dockerodeError(500, 'saving state: container has already been removed')), self)).toBe(false);
  });

  it.each([
    ['start', 'POST /containers/{id}/start'],
    ['stop', 'POST /containers/{id}/stop'],
    ['restart', 'POST /containers/{id}/restart'],
  ] as const)('%s refused with it is gone', (what, call) => {
    const err = wrap(`${what} s23`, call, dockerodeError(500, 'container has already been removed'));
    expect(containerGone(err, self)).toBe(true);
    // dockerode's own error, unwrapped (what a caller that does not wrap would hand over)
    expect(containerGone(dockerodeError(500, 'container has already been removed'), self)).toBe(true);
  });

  it('only that form: the same words about something else, or another status, are not gone', () => {
    const start = (status: number, m: string): Error => wrap('start s23', 'POST /containers/{id}/start', dockerodeError(status, m));
    expect(containerGone(start(500, 'pod has already been removed'), self)).toBe(false);
    expect(containerGone(start(500, `starting dependency container ${'b'.repeat(64)}: container has already been removed and more`), self)).toBe(false);
    expect(containerGone(start(500, `starting dependency container ${'b'.repeat(64)}: container has already been removed`), self)).toBe(false);
    expect(containerGone(start(400, 'container has already been removed'), self)).toBe(false);
  });
});
