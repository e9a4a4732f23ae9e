import * as z from 'zod/mini';
import { configSchema } from './schema.ts';

/** watchdog.yml's JSON Schema (draft 2020-12), generated from the validator for editors. */
export function watchdogJsonSchema(): string {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, title: 'healer watchdog.yml' }, null, 2)}\n`;
}
