import parse from 'parse-duration';

/**
 * The one duration grammar users see: whole numbers with ms, s, m or h, concatenated (`1h30m`).
 * parse-duration does the arithmetic; the shape check keeps its lenient extras (`10 sec`, `1.5 hours`,
 * bare numbers) out, so every label and file reads the same way.
 */
export const DURATION_PATTERN = '^(?:\\d+(?:ms|s|m|h))+$';
const DURATION_RE = new RegExp(DURATION_PATTERN);

/** Milliseconds for a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DURATION_RE.test(trimmed)) return undefined;
  const ms = parse(trimmed);
  return ms === null || ms === undefined || !Number.isFinite(ms) ? undefined : ms;
}

/** A duration for logs and `healer check`: 90000 → "1m30s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('');
}
