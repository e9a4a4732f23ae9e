import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * zod's mini API (chosen over classic, which builds every schema type and method when it loads: ~10 MB
 * resident, README "Memory, start-up and size") has no messages of its own; these are the English ones
 * classic zod sets, which healer's config and state-file errors quote. Imported for this effect by every
 * module that builds a schema, so a message never depends on which of them loaded first.
 */
config(en());
