/** Structural equality of JSON values (what the API server stores), key order ignored. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => deepEqual(item, b[index]));
  }
  const left = definedEntries(a as Record<string, unknown>);
  const right = definedEntries(b as Record<string, unknown>);
  return left.length === right.length && left.every(([key, value]) => deepEqual(value, (b as Record<string, unknown>)[key]));
}

/** `{a: undefined}` serialises to `{}`: treat them alike. */
function definedEntries(value: Record<string, unknown>): Array<[string, unknown]> {
  return Object.entries(value).filter(([, entry]) => entry !== undefined);
}

/**
 * Whether `actual` holds every field of `desired` with the same value; fields only `actual` has (set by
 * other managers or defaulted by the server) are ignored. List items match as a set, like the keyed lists
 * (owner references, conditions) server-side apply merges.
 */
export function containsFields(actual: unknown, desired: unknown): boolean {
  if (desired === undefined) return true;
  if (typeof desired !== "object" || desired === null) return actual === desired;
  if (typeof actual !== "object" || actual === null || Array.isArray(actual) !== Array.isArray(desired)) return false;
  if (Array.isArray(desired)) {
    return desired.every((item) => (actual as unknown[]).some((candidate) => containsFields(candidate, item)));
  }
  return Object.entries(desired).every(([key, value]) => containsFields((actual as Record<string, unknown>)[key], value));
}
