import { describe, expect, it } from 'vitest';
import { boundDetail, EngineError, MAX_DETAIL, wrap } from '../../src/docker/engine-error.ts';

// Review 24: wrap() kept the engine's whole error message. A socket proxy (or anything in front of the
// engine) answering an inspect with a huge 500 body had it kept per unreadable container, shown on the
// status page and logged at every retry. The engine's words are now bounded, saying how much was cut.

/** What dockerode throws for an error answer whose body is not the engine's JSON. */
const proxyError = (statusCode: number, body: string): Error => Object.assign(new Error(`(HTTP code ${statusCode}) server error - ${body}`), { statusCode });

describe('wrap bounds the engine error detail', () => {
  it('keeps at most MAX_DETAIL characters of a huge 500 body and says how many were cut', () => {
    const body = `<html>${'x'.repeat(200_000)}</html>`;
    const err = wrap('inspect abc', 'GET /containers/{id}/json', proxyError(500, body));
    expect(err).toBeInstanceOf(EngineError);
    expect(err.status).toBe(500);
    expect(err.message.startsWith('inspect abc failed with HTTP 500: (HTTP code 500) server error - <html>xxx')).toBe(true);
    const full = `(HTTP code 500) server error - ${body}`.length;
    expect(err.message).toContain(`… (${full - MAX_DETAIL} more characters cut)`);
    expect(err.message.length).toBeLessThan(MAX_DETAIL + 100);
    // Nor is the whole answer kept as the cause (it would stay in memory per unreadable container).
    expect(err.cause).toBeUndefined();
  });

  it('leaves an ordinary engine message whole, and keeps the 403 hint after a cut one', () => {
    const short = Object.assign(new Error('(HTTP code 404) no such container - No such container: abc'), { statusCode: 404, json: { message: 'No such container: abc' } });
    const whole = wrap('inspect abc', 'GET /containers/{id}/json', short);
    expect(whole.message).toBe('inspect abc failed with HTTP 404: No such container: abc');
    expect(whole.cause).toBe(short);
    const refused = wrap('restart abc', 'POST /containers/{id}/restart', proxyError(403, 'y'.repeat(5_000)));
    expect(refused.message).toMatch(/more characters cut\); the Engine API call POST \/containers\/\{id\}\/restart was refused .*ALLOW_RESTARTS=1/);
  });

  it('never cuts a surrogate pair in half', () => {
    const text = `${'a'.repeat(MAX_DETAIL - 1)}😀${'b'.repeat(10)}`;
    const cut = boundDetail(text);
    expect(cut.startsWith(`${'a'.repeat(MAX_DETAIL - 1)}…`)).toBe(true);
    expect(cut).toContain('(12 more characters cut)');
    expect(boundDetail('short')).toBe('short');
  });
});
