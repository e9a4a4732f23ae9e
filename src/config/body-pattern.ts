import { createRequire } from 'node:module';
import type * as Re2js from 're2js';

/**
 * A `body` check as a linear-time matcher (RE2 semantics, through re2js): a label's pattern is written
 * by someone healer does not trust (SECURITY.md), and a backtracking RegExp such as `^(a+)+$` against a
 * body of 40 `a`s and a `!` holds the event loop for hours, stopping every probe, restart and /healthz.
 * RE2 has no backreferences or lookaround; those patterns are refused when the label is read.
 * Linear time is linear in body x program: a label can write `[a-z]{1000}` eight times and hold the
 * loop ~9 s per 64 KiB body, so the program's size is bounded too (MAX_PROGRAM_SIZE).
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

/**
 * The largest compiled program a body pattern may have (re2js programSize(), about one instruction per
 * literal character, character class or repeated copy: `[0-9a-f]{40}` is ~42). Matching costs about
 * 1 ms per instruction on a 64 KiB body on the test machine (~150 ms at this limit, worst shape), all
 * of it on the event loop; realistic health patterns (a JSON status with alternatives, a version, a
 * commit hash) stay under 80. RE2's own limit (its max_mem, ~87,000 instructions) bounds memory, not
 * time: it admits minutes per probe.
 */
export const MAX_PROGRAM_SIZE = 128;

/** Compiles a body pattern; the error says what RE2 cannot do and why healer insists on it. */
export function compileBodyPattern(source: string): BodyPatternResult {
  try {
    const re = engine().compile(source);
    const size = re.programSize();
    if (size > MAX_PROGRAM_SIZE) {
      return {
        ok: false,
        error: `${JSON.stringify(source)} is too large a pattern (${size} RE2 instructions, at most ${MAX_PROGRAM_SIZE}): matching time grows with its size and runs on healer's event loop; shorten repetitions such as {1000}`,
      };
    }
    // matcher().find(), not test(): test() goes through re2js' lazy DFA, whose state cache may grow to
    // 8 MB per pattern and is kept between probes; the NFA's memory is bounded by the program.
    return { ok: true, pattern: { source, test: (body) => re.matcher(body).find() } };
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/^error parsing regexp: /, '') : String(err);
    return {
      ok: false,
      error: `${JSON.stringify(source)} is not a regular expression healer can match in linear time (${why}; backreferences and lookaround are not supported)`,
    };
  }
}
