// Writes schema/watchdog.schema.json from the validator, so the editor schema can never drift from
// what healer accepts. `npm run schema` regenerates it; a unit test fails when it is out of date.
import { writeFileSync } from 'node:fs';
import { watchdogJsonSchema } from '../src/config/json-schema.ts';

const out = new URL('../schema/watchdog.schema.json', import.meta.url);
writeFileSync(out, watchdogJsonSchema());
console.log(`wrote ${out.pathname}`);
