/**
 * Turns (file, args, options) into a request for the native spawn: checks
 * every input first (a TypeError before anything is spawned), then encodes
 * the strings and the steps of steps.ts in its order, and remembers each
 * step's name for error messages.
 */
import { RequestWriter } from "../ffi/request.ts";
import { describe, noNul } from "./check.ts";
import { writeEnvironment } from "./environment.ts";
import type { PipeReader } from "./child.ts";
import type { Options } from "./options.ts";
import type { FdMap, StdioDefaults } from "./stdio.ts";
import type { PumpSpec } from "./stream-stdio.ts";
import { fdMapIndex, steps } from "./steps.ts";
import { unrefTimeout } from "./timers.ts";

export type { StdioDefaults } from "./stdio.ts";

export interface Plan {
  request: Uint8Array;
  /** Name of each encoded step, by index (for SpawnError.step). */
  steps: string[];
  /** The path a step works on, by index (file opens), for SpawnError's message. */
  paths: (string | undefined)[];
  /** Child fds that got a pipe, in the order asp_spawn returns their parent ends. */
  pipes: number[];
  /** Pipes of other children handed to this one (our ends close after the spawn). */
  handovers: PipeReader[];
  /** Each step's checked value, by index in steps.ts (undefined: no step). */
  values: unknown[];
  /** Pipes the library pumps from or into the user's streams (runSync's input). */
  pumps: PumpSpec[];
}

const writer = new RequestWriter();
/** An option's getter that spawns while we encode gets a writer of its own. */
let writing = false;

/** @internal The request buffer's size in bytes (tests). */
export function requestCapacity(): number {
  return writer.capacity;
}

/**
 * A request buffer grown past 1 MiB by a large request goes back to a small
 * one once no large request has used it for this long, rather than stay for
 * the life of the context. Until then back-to-back large spawns reuse it: a
 * new one would cost an allocation of up to 128 MiB and its zeroing each
 * time — and, near RLIMIT_AS, a failed ArrayBuffer allocation aborts V8,
 * where the stack slot's failed mmap is a clean SpawnError (hard-memory).
 */
const SHRINK_AFTER_MS = 10_000;
let lastLarge = 0;
let shrinkPending = false;

function shrinkWhenIdle(): void {
  if (!writer.large) return;
  // Small requests meanwhile do not keep it.
  if (writer.largeRequest || !shrinkPending) lastLarge = performance.now();
  if (shrinkPending) return;
  shrinkPending = true;
  const check = () => {
    const idle = performance.now() - lastLarge;
    if (idle < SHRINK_AFTER_MS) return void unrefTimeout(check, Math.ceil(SHRINK_AFTER_MS - idle));
    shrinkPending = false;
    writer.shrink();
  };
  unrefTimeout(check, SHRINK_AFTER_MS);
}

export function plan(file: unknown, args: unknown, options: Options, defaults: StdioDefaults): Plan {
  if (writing) return encode(new RequestWriter(), file, args, options, defaults);
  writing = true;
  try {
    return encode(writer, file, args, options, defaults);
  } finally {
    writing = false;
    // The native side copies the request during the spawn (or it is never
    // sent): the Plan's view keeps the old bytes alive until then.
    shrinkWhenIdle();
  }
}

/** Per step, the value to encode (undefined: no step). Every check runs:
 * that measured cheaper than looking the step's options up first. */
function checkSteps(o: Options, defaults: StdioDefaults): unknown[] {
  const values: unknown[] = new Array(steps.length);
  for (let i = 0; i < steps.length; i++) values[i] = steps[i]!.check(o, defaults, values);
  return values;
}

function encode(w: RequestWriter, file: unknown, args: unknown, o: Options, defaults: StdioDefaults): Plan {
  noNul(file, "file");
  if (file === "") throw new TypeError("file must not be empty");
  if (!Array.isArray(args)) throw new TypeError(`args must be an array of strings, got ${describe(args)}`);
  if (typeof o !== "object" || o === null) throw new TypeError("options must be an object");
  const values = checkSteps(o, defaults);
  const f = file as string;

  w.begin(f, !f.includes("/"));
  w.arg(o.argv0 === undefined ? f : noNul(o.argv0, "argv0"));
  for (let i = 0; i < args.length; i++) w.arg(noNul(args[i], `args[${i}]`));
  writeEnvironment(w, o);
  const names: string[] = [], paths: (string | undefined)[] = [];
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!, v = values[i];
    if (v === undefined) continue;
    s.encode(w, v);
    if (s.names) s.names(v, names, paths);
    else names.push(s.name);
  }
  const map = values[fdMapIndex] as FdMap;
  return { request: w.end(), steps: names, paths, pipes: map.pipes, handovers: map.handovers, values, pumps: map.pumps };
}
