/** Small object helpers for the config pipeline. */

/**
 * Key names that reach JavaScript's object machinery instead of a property of their own: walking
 * `__proto__` lands on Object.prototype (one tenant's label would then change every object in healer),
 * `constructor` and `prototype` name inherited functions. Label and watchdog.yml paths never use them.
 */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** How errors name the refused key segments. */
export const FORBIDDEN_NAMES = '__proto__, constructor and prototype';

/** Whether a label or config key segment is one healer refuses (see FORBIDDEN_KEYS). */
export function isForbiddenKey(key: string): boolean {
  return FORBIDDEN_KEYS.has(key);
}

/** The value of an own property only: an inherited member (toString, constructor) is no entry of a map read from outside. */
export function ownValue<T>(obj: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return obj !== undefined && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** A mapping with no prototype, for entries keyed by names from labels, the engine or watchdog.yml. */
export function emptyMap<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/**
 * Sets obj[a][b][c] = value, creating mappings on the way; 'conflict' when a non-mapping is in the way,
 * 'forbidden' when a segment is __proto__, constructor or prototype (nothing is written then).
 */
export function setPath(obj: Record<string, unknown>, keyPath: readonly string[], value: unknown): 'ok' | 'conflict' | 'forbidden' {
  if (keyPath.some(isForbiddenKey)) return 'forbidden';
  let cur: Record<string, unknown> = obj;
  for (const key of keyPath.slice(0, -1)) {
    const next = ownValue(cur, key);
    if (next === undefined || next === null) {
      const created: Record<string, unknown> = {};
      cur[key] = created;
      cur = created;
    } else if (isPlainObject(next)) {
      cur = next;
    } else {
      return 'conflict';
    }
  }
  const last = keyPath[keyPath.length - 1];
  if (last === undefined || isPlainObject(ownValue(cur, last))) return 'conflict';
  cur[last] = value;
  return 'ok';
}

/**
 * Deep merge of plain mappings; values of `over` win, arrays and scalars are replaced whole. A forbidden
 * key (an own `__proto__` property, as JSON.parse makes) is left out: assigning it would swap the
 * result's prototype. The schema then never sees it; callers refuse such keys where they are read.
 */
export function mergeDeep(base: Readonly<Record<string, unknown>>, over: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(base)) if (!isForbiddenKey(k)) out[k] = v;
  for (const [k, v] of Object.entries(over)) {
    if (isForbiddenKey(k)) continue;
    const b = ownValue(out, k);
    out[k] = isPlainObject(b) && isPlainObject(v) ? mergeDeep(b, v) : v;
  }
  return out;
}

/**
 * Every key path in a parsed document that ends in a forbidden key: the YAML parser keeps `__proto__:`
 * as an own key, which zod's maps then drop without a word (a header map's `__proto__:` would vanish).
 */
export function forbiddenKeyPaths(value: unknown, at: readonly string[] = []): string[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => forbiddenKeyPaths(v, [...at, String(i)]));
  if (!isPlainObject(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => (isForbiddenKey(k) ? [[...at, k]] : forbiddenKeyPaths(v, [...at, k])));
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
