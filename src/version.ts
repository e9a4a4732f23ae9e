import pkg from '../package.json' with { type: 'json' };

/**
 * healer's version, from its package.json (one source of truth for --version and logs). Imported, not
 * read at run time, so the bundle carries it and needs no package.json beside it.
 */
export const VERSION: string = pkg.version;
