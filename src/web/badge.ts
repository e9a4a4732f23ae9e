/** Colours by state family; the text always says the state, so the colour is never the only signal. */
const COLOURS: Record<string, string> = { ok: '#2e7d32', warn: '#b26a00', bad: '#c62828', none: '#616161' };

/** Which family a summary state belongs to, for the badge colour and the page's icons. */
export function stateFamily(state: string | undefined): 'ok' | 'warn' | 'bad' | 'none' {
  if (state === undefined) return 'none';
  if (state === 'healthy' || state === 'running') return 'ok';
  if (state === 'starting' || state === 'stopped' || state === 'held' || state === 'backoff' || state === 'paused' || state === 'restarting') return 'warn';
  return 'bad';
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A flat two-part badge ("name | healthy 99.9%"), sized from a fixed per-character width: good enough
 * for the DejaVu/Verdana fallback fonts without measuring text.
 */
export function badgeSvg(label: string, state: string | undefined, uptime: number | null | undefined): string {
  const right = `${state ?? 'unknown'}${uptime === null || uptime === undefined ? '' : ` ${(uptime * 100).toFixed(uptime === 1 ? 0 : 1)}%`}`;
  const w = (s: string) => Math.round(s.length * 6.6 + 12);
  const lw = w(label);
  const rw = w(right);
  const colour = COLOURS[stateFamily(state)];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${lw + rw}" height="20" role="img" aria-label="${esc(label)}: ${esc(right)}">
<title>${esc(label)}: ${esc(right)}</title>
<rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${rw}" height="20" fill="${colour}"/>
<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">
<text x="${lw / 2}" y="14">${esc(label)}</text><text x="${lw + rw / 2}" y="14">${esc(right)}</text>
</g></svg>
`;
}
