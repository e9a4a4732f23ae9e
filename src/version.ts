import { readFileSync } from 'node:fs';

/** healer's version, from its package.json (one source of truth for --version and logs). */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
