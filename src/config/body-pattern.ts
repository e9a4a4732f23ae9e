import { createRequire } from 'node:module';
import type * as Re2js from 're2js';

/**
 * A `body` check as a linear-time matcher (RE2 semantics, through re2js): a label's pattern is written
 * by someone healer does not trust (SECURITY.md), and a backtracking RegExp such as `^(a+)+$` against a
 * body of 40 `a`s and a `!` holds the event loop for hours, stopping every probe, restart and /healthz.
 * RE2 has no backreferences or lookaround; those patterns are refused when the label is read.
 */
export interface BodyPattern {
  /** The pattern as written, for `healer check` and failure reasons. */
  readonly source: string;
  test(body: string): boolean;
}

export type BodyPatternResult = { ok: true; pattern: BodyPattern } | { ok: false; error: string };

const require = createRequire(import.meta.url);
let re2: typeof Re2js.RE2JS | undefined;
/** Loaded on first use: ~8 MB resident, paid only by hosts that use `body`. */
function engine(): typeof Re2js.RE2JS {
  re2 ??= (require('re2js') as typeof Re2js).RE2JS;
  return re2;
}

/** Compiles a body pattern; the error says what RE2 cannot do and why healer insists on it. */
export function compileBodyPattern(source: string): BodyPatternResult {
  try {
    const re = engine().compile(source);
    return { ok: true, pattern: { source, test: (body) => re.matcher(body).find() } };
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/^error parsing regexp: /, '') : String(err);
    return {
      ok: false,
      error: `${JSON.stringify(source)} is not a regular expression healer can match in linear time (${why}; backreferences and lookaround are not supported)`,
    };
  }
}
