/**
 * C0 controls (line feed included), DEL, C1 controls, the line and paragraph separators and the bidi
 * overrides: in text a label author wrote, ESC [1A ESC [2K erases the lines above it on the operator's
 * terminal, OSC 52 writes their clipboard, a bidi override reorders what they read.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is escaped
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/**
 * `text` with every control character shown as an escape (`\x1b`, `\u202e`), for one line of healer's
 * own terminal output that carries label- or engine-supplied text; healer joins its lines itself.
 */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** What JSON.stringify leaves raw of CONTROL: DEL, C1 controls, the line and paragraph separators, the bidi overrides. */
const UNESCAPED_BY_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/**
 * `text` (JSON, or a pretty log line whose fields pino-pretty wrote as JSON) with what JSON.stringify
 * leaves raw escaped as JSON does the rest (`\u202e`): C0 is escaped already, and a colorized line's own
 * ANSI sequences are left alone.
 */
export function printableJson(text: string): string {
  return text.replace(UNESCAPED_BY_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
