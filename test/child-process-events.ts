/**
 * For the child_process cases: a ChildProcess's events as a list, in the
 * order they came, until `close` (or a deadline).
 */
import type { ChildProcess } from "../src/child_process/index.ts";

export interface Recorded {
  events: string[];
  errors: Error[];
  stdout: string;
  stderr: string;
  close: [number | null, string | null];
}

/** Listens at once (call it in the same tick as spawn()). */
export function record(child: ChildProcess, timeoutMs = 10000): Promise<Recorded> {
  const r: Recorded = { events: [], errors: [], stdout: "", stderr: "", close: [null, null] };
  child.on("spawn", () => r.events.push("spawn"));
  child.on("error", (e: Error) => {
    r.events.push("error");
    r.errors.push(e);
  });
  child.on("exit", (code, signal) => r.events.push(`exit ${code} ${signal}`));
  child.on("disconnect", () => r.events.push("disconnect"));
  child.stdout?.on("data", (d: Buffer) => (r.stdout += d));
  child.stderr?.on("data", (d: Buffer) => (r.stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no close after ${timeoutMs} ms: ${r.events.join(", ")}`)), timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      r.events.push(`close ${code} ${signal}`);
      r.close = [code, signal];
      resolve(r);
    });
  });
}
