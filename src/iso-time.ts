/**
 * `new Date(ms).toISOString()`, written from the date's UTC fields. Node 24's `toISOString` also reads the
 * local time zone's offset, which pages in ICU's time-zone data (~0.9 MB resident, README "Memory, start-up
 * and size") for a string that is UTC anyway; healer writes one with every log line and alert. The same
 * text for years 0–9999; outside them (and for an invalid time) it is `toISOString`'s own answer.
 */
export function isoTime(ms: number): string {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) return d.toISOString();
  const two = (n: number) => String(n).padStart(2, '0');
  const date = `${String(year).padStart(4, '0')}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`;
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, '0')}`;
  return `${date}T${time}Z`;
}
