import { describe, expect, it } from 'vitest';
import { EngineError, wrap } from '../../src/docker/engine-error.ts';

// Review 24b (odd input from whatever answers on the engine's socket). wrap() reads the engine's words as
// `err.json?.message ?? err.message` and calls `.trim()` on it, assuming a string. docker-modem puts the
// parsed JSON of an error answer in `err.json`, whatever its shape.
// Trigger: a socket proxy or an engine-compatible API answering an inspect (or restart, list, ...) with
// HTTP 500 and `{"message": {"code": 17, "text": "backend down"}}` (or a number, or an array). What
// happens: wrap() throws a TypeError ("….trim is not a function") instead of returning the EngineError,
// so the caller gets no status, no "what a proxy must allow" hint and an error that is not an
// EngineError. Callers tell engine failures from healer's own bugs by that class: discovery.ts refresh()
// retries a failed inspect only for an EngineError and rethrows anything else, so that container's
// inspect is not retried and it is not watched (never probed) until some later event or resync.
// What should: an EngineError with the status, the detail made of whatever text the answer had.

const oddAnswer = (message: unknown): Error => Object.assign(new Error('(HTTP code 500) server error - {"message":…}'), { statusCode: 500, json: { message } });

describe('review24b: wrap() given an error answer whose message is not a string', () => {
  for (const message of [{ code: 17, text: 'backend down' }, 42, ['a', 'b']]) {
    it(`returns an EngineError for message ${JSON.stringify(message)}`, () => {
      let got: unknown;
      try {
        got = wrap('inspect abc', 'GET /containers/{id}/json', oddAnswer(message));
      } catch (err) {
        got = err;
      }
      expect(got).toBeInstanceOf(EngineError);
      expect((got as EngineError).status).toBe(500);
    });
  }
});
