// Copies the status page's files (HTML, CSS, the browser script) next to the compiled server code:
// tsc compiles TypeScript only, and the server reads them from dist/web/assets.
import { cpSync } from 'node:fs';

cpSync(new URL('../src/web/assets/', import.meta.url), new URL('../dist/web/assets/', import.meta.url), { recursive: true });
