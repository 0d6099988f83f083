/**
 * Options are read as own properties only, as Node reads its own: a
 * polluted Object.prototype (`Object.prototype.shell = "touch x"`) must not
 * become an option. The copy has no prototype, and so has every copy made
 * made from it with `patch` (a plain `{ ...o }` would inherit again).
 */
export function ownOptions<T extends object>(options: T | null | undefined, patch?: Partial<T>): T {
  // Not an object: left as it is, for the caller's check to name it.
  if ((typeof options !== "object" || options === null) && options !== undefined) return options as unknown as T;
  return { __proto__: null, ...options, ...patch } as unknown as T;
}
