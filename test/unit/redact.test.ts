import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbePolicy } from '../../src/config/policy.ts';
import { parseProbeSpec, redactProbeSpec, redactText } from '../../src/config/probe-spec.ts';
import { httpProber } from '../../src/probes/http.ts';
import { httpServer } from '../helpers/servers.ts';

const spec = (text: string) => {
  const r = parseProbeSpec(text);
  if (!r.ok) throw new Error(r.error);
  return r.spec;
};

describe('redactProbeSpec: the one form a probe is shown in', () => {
  it.each([
    ['http://:8080/healthz', 'http://:8080/healthz'],
    ['http://:8080/health?token=S3CRET', 'http://:8080/health?token=[redacted]'],
    ['http://:8080/h?a=1&b=2&flag', 'http://:8080/h?a=[redacted]&b=[redacted]&[redacted]'],
    ['http://:8080/h#frag', 'http://:8080/h#[redacted]'],
    ['http://admin:hunter2@:8080/x', 'http://[redacted]@:8080/x'],
    ['https://user:p%40ss@api.internal:8443/?k=v', 'https://[redacted]@api.internal:8443/?k=[redacted]'],
    ['tcp://:5432', 'tcp://:5432'],
    ['exec:mysqladmin -uroot -pS3CRET ping', 'exec:mysqladmin [redacted]'],
    ['exec:pg_isready', 'exec:pg_isready'],
    ['docker', 'docker'],
  ])('%s → %s', (text, shown) => {
    expect(redactProbeSpec(spec(text))).toBe(shown);
  });

  it.each([
    ['htp://user:S3CRET@host/x?token=S3CRET', 'htp://[redacted]@host/x?token=[redacted]'],
    ['exec:redis-cli -a S3CRET "unclosed', 'exec:redis-cli [redacted]'],
    ['http://:99999/x?token=S3CRET', 'http://:99999/x?token=[redacted]'],
  ])('text that does not parse: %s → %s', (text, shown) => {
    expect(redactText(text)).toBe(shown);
    const r = parseProbeSpec(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).not.toContain('S3CRET');
  });

  it('parses userinfo apart from the host', () => {
    expect(spec('http://admin:hunter2@127.0.0.1:8080/x')).toEqual({ kind: 'http', scheme: 'http', host: '127.0.0.1', port: 8080, path: '/x', userinfo: 'admin:hunter2' });
  });
});

describe('URL userinfo is sent as Basic authentication', () => {
  let srv: Awaited<ReturnType<typeof httpServer>>;
  const seen: (string | undefined)[] = [];
  const dispatcher = new Agent({ pipelining: 0 });
  beforeAll(async () => {
    srv = await httpServer((req, res) => {
      seen.push(req.headers.authorization);
      res.end('ok');
    });
  });
  afterAll(async () => {
    await dispatcher.close();
    await srv.close();
  });

  it.each([
    ['admin:p%40ss', {}, `Basic ${Buffer.from('admin:p@ss').toString('base64')}`],
    ['admin:p%40ss', { Authorization: 'Bearer x' }, 'Bearer x'],
  ])('%s with headers %j', async (userinfo, headers, expected) => {
    const p: ProbePolicy = {
      spec: spec(`http://${userinfo}@127.0.0.1:${srv.port}/`),
      intervalMs: 1000, schedule: undefined, timeoutMs: 1000, failures: 1, successes: 1, startPeriodMs: 0,
      status: [[200, 399]], body: undefined, method: 'GET', headers,
    };
    const r = await httpProber(dispatcher).run(p, { containerId: 'c', address: '127.0.0.1' }, AbortSignal.timeout(1000));
    expect(r.ok).toBe(true);
    expect(seen.pop()).toBe(expected);
  });
});
