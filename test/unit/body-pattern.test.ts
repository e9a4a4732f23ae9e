import { describe, expect, it } from 'vitest';
import { compileBodyPattern } from '../../src/config/body-pattern.ts';
import { policyFromLabels } from '../../src/config/labels.ts';

const build = (labels: Record<string, string>) =>
  policyFromLabels({ labels, prefix: 'healer', containerName: 'api', rawDefaults: {}, imageHasHealthcheck: false });

describe('body patterns (linear time)', () => {
  it('answers the catastrophic pattern at once where a backtracking RegExp runs for hours', () => {
    const r = compileBodyPattern('^(a+)+$');
    if (!r.ok) throw new Error(r.error);
    // With RegExp this call does not return for hours (the time doubles with every 'a').
    expect(r.pattern.test(`${'a'.repeat(40)}!`)).toBe(false);
    expect(r.pattern.test('a'.repeat(40))).toBe(true);
    expect(r.pattern.test(`${'a'.repeat(65_536)}!`)).toBe(false);
  });

  it.each([
    ['status: (green|healthy)', 'status: healthy', true],
    ['^ok$', 'ok', true],
    ['^ok$', 'not ok', false],
    ['"status"\\s*:\\s*"UP"', '{"status" : "UP"}', true],
    ['\\d{3} items', 'found 120 items', true],
  ])('%s against %j → %s', (source, body, match) => {
    const r = compileBodyPattern(source);
    if (!r.ok) throw new Error(r.error);
    expect(r.pattern.source).toBe(source);
    expect(r.pattern.test(body)).toBe(match);
  });

  it.each([
    ['(a)\\1', 'backreference'],
    ['(?=a)b', 'lookahead'],
    ['(?!x)y', 'negative lookahead'],
    ['(?<=a)b', 'lookbehind'],
    ['(unclosed', 'syntax'],
  ])('refuses %s (%s) as a label error naming the label', (source) => {
    const r = build({ 'healer.liveness': 'http://:8080/', 'healer.liveness.body': source });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^label healer\.liveness\.body on container "api": ".*" is not a regular expression healer can match in linear time \(.+; backreferences and lookaround are not supported\)$/);
  });

  // Matching time is linear in body x program size, and the label chooses the program (review 14:
  // eight [a-z]{1000} held the loop ~9 s per 64 KiB body).
  it.each([
    '"status"\\s*:\\s*"(UP|ok|healthy|pass)".*"database"\\s*:\\s*\\{\\s*"status"\\s*:\\s*"(UP|ok)"',
    '(?i)^\\s*\\{\\s*"status"\\s*:\\s*"(up|ok|healthy|pass|green)"\\s*[,}]',
    '"commit":"[0-9a-f]{40}"',
    '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
    '[a-z]{126}',
  ])('admits the realistic (or largest) pattern %s', (source) => {
    expect(compileBodyPattern(source).ok).toBe(true);
  });

  it.each(['[a-z]{127}', `${'[a-z]{1000}'.repeat(8)}[0-9]`, '(a|b|c|d){50}'])('refuses %s (program too large) as a label error naming the label', (source) => {
    const r = build({ 'healer.liveness': 'http://:8080/', 'healer.liveness.body': source });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^label healer\.liveness\.body on container "api": ".*" is too large a pattern \(\d+ RE2 instructions, at most 128\)/);
  });
});
