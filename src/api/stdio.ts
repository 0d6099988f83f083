/**
 * The child's fd map from `stdin`/`stdout`/`stderr`/`stdio`: one [source,
 * target] pair per child fd. Sources are our fds, or Fd.* for a new pipe,
 * socketpair or /dev/null; a fd not named is closed in the child. Files the
 * child opens and merges of one child fd into another are not in the map:
 * they are steps of their own, after it (files.ts). The user's own streams
 * become pipes the library pumps (pump.ts).
 */
import { Fd, Out, Req } from "../ffi/abi.ts";
import { describe, int } from "./check.ts";
import type { PipeReader } from "./child.ts";
import { type FileOpen, fileOpen, isChildFd, isFile, mergeSource, resolveMerges, stdioShorthand } from "./files.ts";
import type { ExtraFdOption, Options, StdioOption } from "./options.ts";
import { expected, inputSource, type PumpSpec, sinkOf, sourceOf } from "./stream-stdio.ts";
import { readerOf } from "./streams.ts";
import { ownOptions } from "./own-options.ts";

export interface StdioDefaults {
  stdin: StdioOption;
  stdout: StdioOption;
  stderr: StdioOption;
  /** "pipe" on stdio[3+] is a socketpair exposed as Subprocess.stdio[n] (spawn()); else a TypeError. */
  extraPipes?: boolean;
  /** "pipe" on fds 0-2 is a socketpair too (the `socketStdio` option), not a pipe. */
  socketPipes?: boolean;
}

export interface FdMap {
  pairs: [src: number, dst: number][];
  /** Child fds that got a pipe, in the order asp_spawn returns their parent ends. */
  pipes: number[];
  /** Pipes of other children handed to this one (our ends close after the spawn). */
  handovers: PipeReader[];
  /** Pipes the library feeds from the user's sources or drains into their sinks (pump.ts). */
  pumps: PumpSpec[];
  /** Files the child opens onto its fds, in fd order. */
  opens: FileOpen[];
  /** [child source fd, target]: dups run after the map and the opens. */
  merges: [src: number, dst: number][];
}

const isObject = (v: unknown) => typeof v === "object" && v !== null;

const emptyMap = (): FdMap => ({ pairs: [], pipes: [], handovers: [], pumps: [], opens: [], merges: [] });

const FD_MAX = Req.MAX_FD - 1;

/** Another child's pipe given whole to this one (not pumped): nothing was taken out of it yet. */
function handedOver(v: unknown): PipeReader | undefined {
  const reader = v instanceof ReadableStream ? readerOf(v) : undefined;
  return reader?.prefetched ? undefined : reader;
}

/** The unread stdout (or stderr) of another child: its pipe itself. */
function pipeFrom(stream: ReadableStream<Uint8Array>, reader: PipeReader, label: string, handovers: PipeReader[]): number {
  // Its child exited without output: the pipe is gone, EOF is all there was.
  if (reader.endedUnread && !stream.locked) return Fd.DEVNULL;
  if (reader.touched || reader.closed || stream.locked || handovers.includes(reader)) {
    throw new TypeError(`${label}: that stream was already read, piped or cancelled`);
  }
  handovers.push(reader);
  return reader.fd;
}

/** A source for stdin, a sink for stdout/stderr: a pipe the library pumps. */
function pumped(v: unknown, fd: number, label: string, map: FdMap): number | undefined {
  if (fd > 2) return undefined;
  let spec: PumpSpec;
  if (fd === 0) {
    const source = label === "input" ? inputSource(v) : sourceOf(v, label);
    if (!source) return undefined;
    spec = { fd, label, source };
  } else {
    const sink = sinkOf(v, label);
    if (!sink) return undefined;
    spec = { fd, label, sink };
  }
  map.pumps.push(spec);
  map.pipes.push(fd);
  return fd === 0 ? Fd.PIPE_READ : Fd.PIPE_WRITE;
}

function source(v: StdioOption | ExtraFdOption, fd: number, label: string, pipes: number[], sockets: boolean): number | undefined {
  if (v === "pipe" && fd <= 2) {
    pipes.push(fd);
    return sockets ? Fd.SOCKETPAIR : fd === 0 ? Fd.PIPE_READ : Fd.PIPE_WRITE;
  }
  if (v === "inherit") return fd;
  if (v === "ignore") return fd <= 2 ? Fd.DEVNULL : undefined;
  if ((v === null || v === undefined) && fd > 2) return undefined;
  if (typeof v === "number") return int(v, label, 0, FD_MAX);
  throw new TypeError(expected(fd, label, v));
}

const names = ["stdin", "stdout", "stderr"];

/** `input` takes stdin's place; a stdin given too, other than "pipe", is a conflict. */
function withInput(o: Options, stdio: readonly unknown[]): boolean {
  if (o.input === undefined) return false;
  // length first: an empty array's [0] is Object.prototype's, if someone set one.
  const [given, label] = stdio.length && stdio[0] !== undefined ? [stdio[0], "stdio[0]"] : [o.stdin, "stdin"];
  if (given !== undefined && given !== "pipe") {
    throw new TypeError(`input and ${label} cannot both be given: input is what the child reads on its stdin`);
  }
  return true;
}

/** A slot of 0-2: what it says, and how a message names it. */
function slot(o: Options, std: readonly unknown[], stdio: readonly unknown[], fd: number, input: boolean): [unknown, string] {
  const listed = fd < stdio.length && stdio[fd] !== undefined;
  const label = fd === 0 && input ? "input" : listed || fd > 2 ? `stdio[${fd}]` : names[fd]!;
  return [label === "input" ? o.input : listed ? stdio[fd] : std[fd], label];
}

/**
 * The user's own streams on 0-2 (and `input`), for any backend: the
 * options with those slots made "pipe", and what to pump through them.
 * undefined when there is none (the usual case, no copy made).
 */
export function pumpsOf(o: Options, defaults: StdioDefaults): { options: Options; pumps: PumpSpec[] } | undefined {
  // The usual spawn names no stream: no work, nothing allocated (the defaults are words).
  const s = o.stdio;
  if (o.input === undefined && !isObject(o.stdin) && !isObject(o.stdout) && !isObject(o.stderr) &&
      !(Array.isArray(s) && (isObject(s[0]) || isObject(s[1]) || isObject(s[2])))) return undefined;
  const stdio = Array.isArray(o.stdio) ? o.stdio : [];
  const std: unknown[] = [o.stdin ?? defaults.stdin, o.stdout ?? defaults.stdout, o.stderr ?? defaults.stderr];
  const input = withInput(o, stdio);
  let pumps: PumpSpec[] | undefined;
  let next: Options | undefined;
  for (let fd = 0; fd < 3; fd++) {
    const [v, label] = slot(o, std, stdio, fd, input);
    if (!((typeof v === "object" && v !== null) || label === "input")) continue;
    if (handedOver(v)) continue; // another child's pipe: handed over, not pumped
    const map = emptyMap();
    if (pumped(v, fd, label, map) === undefined) continue;
    (pumps ??= []).push(map.pumps[0]!);
    next ??= ownOptions(o, { input: undefined });
    // The slot becomes a pipe where the user named it.
    if (label.startsWith("stdio[")) (next.stdio = [...(next.stdio as unknown[])] as Options["stdio"] & unknown[])[fd] = "pipe";
    else (next as Record<string, unknown>)[names[fd]!] = "pipe";
  }
  return pumps && { options: next!, pumps };
}

/**
 * What fds 0-2 get from stdin/stdout/stderr, the `stdio` shorthand
 * (`short`) filling what they leave unset, then the defaults. run()'s
 * default "pipe" on stdin exists only for `input`, which the shorthand
 * must not cut off.
 */
export function stdOf(o: Options, defaults: StdioDefaults, short: ReturnType<typeof stdioShorthand>): unknown[] {
  return [
    keyed(o.stdin, 0) ?? (defaults.stdin === "pipe" ? "pipe" : short ?? defaults.stdin),
    keyed(o.stdout, 1) ?? short ?? defaults.stdout,
    keyed(o.stderr, 2) ?? short ?? defaults.stderr,
  ];
}

/**
 * `stdout: null` is "ignore" to Bun and the default to a reader of Node's
 * `stdio: [null, ...]`: either guess loses output or hangs a chatty child
 * on a pipe nobody reads, so it is a TypeError that says both.
 */
function keyed(v: unknown, fd: number): unknown {
  if (v !== null) return v;
  throw new TypeError(`${names[fd]}: null is "ignore" in Bun and the default in a Node stdio array; say "ignore" or "pipe" (or leave it out)`);
}

export function fdMap(o: Options, defaults: StdioDefaults): FdMap {
  const short = stdioShorthand(o.stdio);
  const stdio = short !== undefined || o.stdio === undefined ? [] : o.stdio;
  if (!Array.isArray(stdio)) throw new TypeError(`stdio must be "pipe", "inherit", "ignore" or an array, got ${describe(o.stdio)}`);
  if (stdio.length > Req.MAX_FDS) throw new TypeError(`stdio can name at most ${Req.MAX_FDS} fds, got ${stdio.length}`);
  const std = stdOf(o, defaults, short);
  const map = emptyMap();
  const input = withInput(o, stdio);
  // The option the user wrote for this fd, for messages.
  const name = (fd: number) => (fd > 2 || (fd < stdio.length && stdio[fd] !== undefined) ? `stdio[${fd}]` : names[fd]!);
  let merges: Map<number, number> | undefined;
  for (let fd = 0; fd < Math.max(3, stdio.length); fd++) {
    const [v, label] = slot(o, std, stdio, fd, input);
    if (typeof v === "object" && v !== null && !(v instanceof ReadableStream)) {
      if (isFile(v)) {
        map.opens.push(fileOpen(v, fd, label));
        continue;
      }
      if (isChildFd(v, fd)) {
        (merges ??= new Map()).set(fd, mergeSource(v, fd, label));
        continue;
      }
    } else if (v === "stdout" || v === "stderr") {
      // As the types say: stdin names no merge (a slip for "pipe"?); stdio[0] = { child: n } does.
      if (label === "stdin") throw new TypeError(`stdin: "${v}" is no input; to give stdin a copy of a child fd, say stdio[0] = { child: ${v === "stdout" ? 1 : 2} }`);
      (merges ??= new Map()).set(fd, mergeSource(v, fd, label));
      continue;
    } else if (v === "pipe" && fd > 2) {
      map.pairs.push([extraPipe(fd, label, defaults, map.pipes), fd]);
      continue;
    }
    // Words and numbers first: the common case costs no shape checks.
    const streamLike = (typeof v === "object" && v !== null) || label === "input";
    // A child's output read out at its exit (releaseAtExit) is pumped as any stream is.
    const reader = handedOver(v);
    const src = reader
      ? pipeFrom(v as ReadableStream<Uint8Array>, reader, label, map.handovers)
      : (streamLike ? pumped(v, fd, label, map) : undefined) ?? source(v as StdioOption | ExtraFdOption, fd, label, map.pipes, defaults.socketPipes === true);
    if (src !== undefined) map.pairs.push([src, fd]);
  }
  if (merges) map.merges = resolveMerges(merges, map, name);
  return map;
}

/** A socketpair for stdio[3+]: spawn() exposes it as Subprocess.stdio[n]. */
function extraPipe(fd: number, name: string, defaults: StdioDefaults, pipes: number[]): number {
  if (!defaults.extraPipes) {
    throw new TypeError(`${name}: "pipe" on an fd above 2 is a stream of the Subprocess: use spawn() and read subprocess.stdio[${fd}]`);
  }
  if (pipes.length >= Out.MAX_PIPES) throw new TypeError(`stdio: at most ${Out.MAX_PIPES} pipes per child`);
  pipes.push(fd);
  return Fd.SOCKETPAIR;
}
