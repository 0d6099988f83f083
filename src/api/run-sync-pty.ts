/**
 * runSync() with `pty`: the pair is opened here, the request names the
 * slave as the terminal's slots' source, and asp_run_sync (lib/c/sync.c)
 * takes both fds: it closes the slave once the child has it, reads the
 * master as stdout (or stderr) until no process holds the terminal, and
 * closes it after the reap. Nothing is typed: `input` is a pipe, as run()
 * makes it.
 */
import { Sync } from "../ffi/abi.ts";
import type { Native } from "../ffi/symbols.ts";
import type { Options } from "./options.ts";
import { openPty, type PtyPair, ptyOptions, ptyRequest } from "./pty.ts";
import { ownOptions } from "./own-options.ts";

export interface SyncTerminal {
  /** The options the request is planned from: the slave on the terminal's slots. */
  options: Options;
  pair: PtyPair;
  /** The stream the master is read as: Sync.STDOUT, or Sync.STDERR when only stderr is on it. */
  stream: number;
}

/**
 * `input` takes stdin's place where the user left it unset (run() pumps it
 * the same way): the program reads exact bytes to their end, as from any
 * pipe, and its output is on the terminal. A stdin given too is plan()'s
 * conflict error.
 */
function inputAsPipe(o: Options & { input?: unknown }): Options {
  if (o.input === undefined || o.stdin !== undefined || (Array.isArray(o.stdio) && o.stdio[0] !== undefined)) return o;
  return ownOptions(o, { stdin: "pipe" });
}

/** Checks `pty` (TypeError) and opens the pair (SpawnError), or undefined when no terminal is asked for. */
export function syncTerminal(native: () => Native, o: Options, file: string, args: readonly string[]): SyncTerminal | undefined {
  const given = inputAsPipe(o);
  const req = ptyRequest(given);
  if (!req) return undefined;
  const pair = openPty(native(), req, file, args, false);
  return { options: ptyOptions(given, req, pair.slave), pair, stream: req.slots & 2 ? Sync.STDOUT : Sync.STDERR };
}
