import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.ts';
import { policyFromLabels } from '../../src/config/labels.ts';
import { loadConfig } from '../../src/config/load.ts';
import { mergeDeep, setPath } from '../../src/config/objects.ts';
import { canonicalAction } from '../../src/docker/dialect.ts';

// Review 14's __proto__ finding, closed at every place that indexes a plain object with a key from a
// label, watchdog.yml or the engine: setPath, mergeDeep, watchdog.yml keys, header maps, event actions.

let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = '';
});

function load(yaml: string): string[] {
  dir = mkdtempSync(`${tmpdir()}/healer-forbidden-`);
  writeFileSync(`${dir}/watchdog.yml`, yaml);
  try {
    loadConfig(`${dir}/watchdog.yml`, {});
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
}

describe('keys that reach the object machinery', () => {
  it.each([['__proto__'], ['constructor'], ['prototype']])('setPath refuses a %s segment and writes nothing', (k) => {
    const obj: Record<string, unknown> = {};
    expect(setPath(obj, ['a', k, 'x'], 'y')).toBe('forbidden');
    expect(setPath(obj, [k, 'x'], 'y')).toBe('forbidden');
    expect(obj).toEqual({});
    expect(Object.hasOwn(Object.prototype, 'x')).toBe(false);
  });

  it('setPath does not take an inherited member for a mapping on the way', () => {
    const obj: Record<string, unknown> = {};
    expect(setPath(obj, ['toString', 'x'], 'y')).toBe('ok');
    expect(obj).toEqual({ toString: { x: 'y' } });
  });

  it("mergeDeep leaves out an own __proto__ key (JSON.parse makes one) instead of swapping the result's prototype", () => {
    const over = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const out = mergeDeep({}, over);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect((out as { polluted?: unknown }).polluted).toBeUndefined();
    expect(out).toEqual({ a: 1 });
  });

  it.each([
    ['defaults:\n  __proto__:\n    x: 1\n', 'key defaults.__proto__'],
    ['defaults:\n  liveness:\n    header:\n      __proto__: a\n', 'key defaults.liveness.header.__proto__'],
    ['defaults:\n  liveness:\n    header:\n      constructor: a\n', 'key defaults.liveness.header.constructor'],
    ['alerts:\n  channels:\n    - name: ops\n      type: webhook\n      url: http://127.0.0.1:1/\n      headers:\n        prototype: a\n', 'key alerts.channels[0].headers.prototype'],
  ])('watchdog.yml refuses %j', (yaml, where) => {
    const problems = load(yaml);
    expect(problems.join('\n')).toContain(where);
    expect(problems.join('\n')).toContain('refused as keys');
  });

  it('a label segment named constructor or prototype is that label error, on that container only', () => {
    for (const key of ['healer.liveness.header.constructor', 'healer.restart.prototype', 'healer.constructor']) {
      const r = policyFromLabels({ labels: { 'healer.enable': 'true', [key]: 'x' }, prefix: 'healer', containerName: 'evil', rawDefaults: {}, imageHasHealthcheck: false });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors).toEqual([`label ${key} on container "evil": unknown label (__proto__, constructor and prototype are refused in label names)`]);
    }
  });

  it('an engine event action named after an Object.prototype member stays that action', () => {
    expect(canonicalAction('constructor')).toBe('constructor');
    expect(canonicalAction('died')).toBe('die');
  });
});

describe('probe and channel headers HTTP cannot carry', () => {
  it.each([
    ['defaults:\n  liveness:\n    header:\n      "X Token": a\n', 'defaults.liveness.header.X Token'],
    ['defaults:\n  liveness:\n    header:\n      X-Token: "a\\r\\nb"\n', 'defaults.liveness.header.X-Token'],
    ['defaults:\n  readiness:\n    header:\n      Connection: upgrade\n', 'defaults.readiness.header.Connection'],
    ['alerts:\n  channels:\n    - name: ops\n      type: webhook\n      url: http://127.0.0.1:1/\n      headers:\n        Transfer-Encoding: chunked\n', 'alerts.channels[0].headers.Transfer-Encoding'],
  ])('watchdog.yml refuses %j', (yaml, where) => {
    expect(load(yaml).join('\n')).toContain(where);
  });

  it('a header value with bytes undici refuses (NUL, a character past U+00FF) is a label error', () => {
    for (const value of ['a\u0000b', 'price \u20ac']) {
      const r = policyFromLabels({ labels: { 'healer.enable': 'true', 'healer.liveness': 'http://:80/', 'healer.liveness.header.X-A': value }, prefix: 'healer', containerName: 'app', rawDefaults: {}, imageHasHealthcheck: false });
      expect(r.ok ? [] : r.errors.join('\n')).toContain('label healer.liveness.header.X-A on container "app"');
    }
  });

  it('two Host headers (a label and a default in another case) are refused; a label overriding a default header in another case is not', () => {
    const base = { prefix: 'healer', containerName: 'app', imageHasHealthcheck: false } as const;
    const two = policyFromLabels({ ...base, labels: { 'healer.enable': 'true', 'healer.liveness': 'http://:80/', 'healer.liveness.header.host': 'b' }, rawDefaults: { liveness: { header: { Host: 'a' } } } });
    expect(two.ok ? [] : two.errors.join('\n')).toContain('label healer.liveness.header.host on container "app": header host is given twice');
    const ok = policyFromLabels({ ...base, labels: { 'healer.enable': 'true', 'healer.liveness': 'http://:80/', 'healer.liveness.header.authorization': 'b' }, rawDefaults: { liveness: { header: { Authorization: 'a' } } } });
    expect(ok.ok ? [] : ok.errors).toEqual([]);
  });
});
