/** Waiting in tests: a plain delay, and polling a condition with a deadline. */

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Whether `cond` became true within `ms`, checked every `everyMs`. */
export async function until(cond: () => boolean, ms = 2000, everyMs = 5): Promise<boolean> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) return false;
    await sleep(everyMs);
  }
  return true;
}

/** `p`, or "timeout" after `ms`: a hang becomes a failed assertion, not a stuck test. */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([p, new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
