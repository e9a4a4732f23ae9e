import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { watchdogJsonSchema } from '../../src/config/json-schema.ts';

describe('schema/watchdog.schema.json', () => {
  it('is exactly what the validator generates (run `npm run schema` after changing the schema)', () => {
    const committed = readFileSync(new URL('../../schema/watchdog.schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(watchdogJsonSchema());
  });

  it('rejects unknown keys and documents defaults, as editors need', () => {
    const schema = JSON.parse(watchdogJsonSchema()) as {
      additionalProperties: boolean;
      properties: { defaults: { properties: { liveness: { properties: { interval: { default: string; pattern: string } } } } } };
    };
    expect(schema.additionalProperties).toBe(false);
    const interval = schema.properties.defaults.properties.liveness.properties.interval;
    expect(interval.default).toBe('10s');
    expect(new RegExp(interval.pattern).test('1h30m')).toBe(true);
    expect(new RegExp(interval.pattern).test('10 sec')).toBe(false);
  });
});
