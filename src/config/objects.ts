/** Small object helpers for the config pipeline. */

/** Sets obj[a][b][c] = value, creating mappings on the way; false when a non-mapping is in the way. */
export function setPath(obj: Record<string, unknown>, keyPath: readonly string[], value: unknown): boolean {
  let cur: Record<string, unknown> = obj;
  for (const key of keyPath.slice(0, -1)) {
    const next = cur[key];
    if (next === undefined || next === null) {
      const created: Record<string, unknown> = {};
      cur[key] = created;
      cur = created;
    } else if (isPlainObject(next)) {
      cur = next;
    } else {
      return false;
    }
  }
  const last = keyPath[keyPath.length - 1];
  if (last === undefined || isPlainObject(cur[last])) return false;
  cur[last] = value;
  return true;
}

/** Deep merge of plain mappings; values of `over` win, arrays and scalars are replaced whole. */
export function mergeDeep(base: Readonly<Record<string, unknown>>, over: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? mergeDeep(b, v) : v;
  }
  return out;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RegExp);
}

/** Freezes an object graph so a policy cannot change after validation. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
