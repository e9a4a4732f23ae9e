import { describe, expect, it } from 'vitest';
import { formatProbeSpec, parseProbeSpec, splitCommand, type ProbeSpec } from '../../src/config/probe-spec.ts';

describe('parseProbeSpec', () => {
  it.each<[string, ProbeSpec]>([
    ['http://:8080/healthz', { kind: 'http', scheme: 'http', host: '', port: 8080, path: '/healthz' }],
    ['https://:8443/health', { kind: 'http', scheme: 'https', host: '', port: 8443, path: '/health' }],
    ['http://api.internal:9000/ready?x=1', { kind: 'http', scheme: 'http', host: 'api.internal', port: 9000, path: '/ready?x=1' }],
    ['http://127.0.0.1/', { kind: 'http', scheme: 'http', host: '127.0.0.1', port: 80, path: '/' }],
    ['https://[::1]:8443', { kind: 'http', scheme: 'https', host: '::1', port: 8443, path: '/' }],
    ['tcp://:5432', { kind: 'tcp', host: '', port: 5432 }],
    ['tcp://db:6379', { kind: 'tcp', host: 'db', port: 6379 }],
    ['exec:pg_isready -q', { kind: 'exec', argv: ['pg_isready', '-q'] }],
    [`exec:sh -c 'wget -q -O- http://127.0.0.1/ | grep ok'`, { kind: 'exec', argv: ['sh', '-c', 'wget -q -O- http://127.0.0.1/ | grep ok'] }],
    ['docker', { kind: 'docker' }],
  ])('%j', (text, spec) => {
    const r = parseProbeSpec(text);
    expect(r).toEqual({ ok: true, spec });
  });

  it.each([
    ['ftp://:21', 'is not a probe (try http://:8080/healthz'],
    ['http://:99999/x', 'has port 99999, outside 1-65535'],
    ['tcp://:0', 'has port 0, outside 1-65535'],
    ['tcp://db', 'is not a probe'],
    ['exec:', 'names no command'],
    [`exec:sh -c 'unclosed`, 'has an unclosed quote'],
    ['8080', 'is not a probe'],
    ['http://:8080 /x', 'is not a probe'],
  ])('%j is rejected: %s', (text, message) => {
    const r = parseProbeSpec(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(message);
  });

  it.each(['http://:8080/healthz', 'tcp://db:5432', 'docker', 'exec:pg_isready -q', 'https://[::1]:8443/h'])('%j round-trips through formatProbeSpec', (text) => {
    const r = parseProbeSpec(text);
    if (!r.ok) throw new Error(r.error);
    expect(parseProbeSpec(formatProbeSpec(r.spec))).toEqual(r);
  });
});

describe('splitCommand', () => {
  it.each<[string, string[] | undefined]>([
    ['a b  c', ['a', 'b', 'c']],
    [`a "b c" 'd e'`, ['a', 'b c', 'd e']],
    [`a ""`, ['a', '']],
    [`a "b`, undefined],
    ['', []],
  ])('%j', (line, argv) => {
    expect(splitCommand(line)).toEqual(argv);
  });
});
