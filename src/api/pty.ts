/**
 * The `pty` option (and Bun's `"pty"` on a stdio slot): the child on a
 * pseudo-terminal. The native backend opens the pair before the spawn
 * (asp_pty_open: the window size is set before the program can ask for it),
 * hands the slave to the child as the fd map's source of every slot on the
 * terminal, makes the child a session leader (setsid) that takes the slave
 * as its controlling terminal (the CTTY step of steps.ts), and keeps only
 * the master: read as stdout, written as stdin through a second fd.
 */
import type { Channel } from "../ffi/channel.ts";
import type { Native } from "../ffi/symbols.ts";
import { describe, int, noNul } from "./check.ts";
import { EIO, errnoCode, errnoMessage } from "./errno.ts";
import { SpawnError, commandLine } from "./errors.ts";
import { FdReader } from "./fd-reader.ts";
import { FdWriter } from "./fd-writer.ts";
import type { Options } from "./options.ts";
import { ownOptions } from "./own-options.ts";

/** @internal On options made for the spawn: the child fd that takes the terminal as its controlling one. */
export const controllingFd = Symbol("aspawn.pty.controllingFd");
/** @internal */
export type PtyMarked = Options & { [controllingFd]?: number };

const DEFAULT_COLS = 80, DEFAULT_ROWS = 24, DEFAULT_TERM = "xterm-256color";
const SIZE_MAX = 0xffff;
const names = ["stdin", "stdout", "stderr"] as const;
const known = new Set(["cols", "rows", "term"]);

/** The window of the terminal of {@link Options.pty}. */
export interface PtyOptions {
  /** Columns, 1 to 65535. @default 80 */
  cols?: number;
  /** Rows, 1 to 65535. @default 24 */
  rows?: number;
  /**
   * The child's `TERM` (an explicit `env.TERM` wins).
   * @default the inherited TERM, else "xterm-256color"
   */
  term?: string;
}

/** What a checked `pty` asks for. */
export interface PtyRequest {
  cols: number;
  rows: number;
  term: string | undefined;
  /** Bit n: child fd n is on the terminal. */
  slots: number;
}

/** Whether the options ask for a terminal at all: cheap, for the common spawn. */
export function wantsPty(o: Options): boolean {
  if (o.pty !== undefined && o.pty !== false) return true;
  const s = o.stdio as unknown;
  return o.stdin === "pty" || o.stdout === "pty" || o.stderr === "pty" || s === "pty" ||
    (Array.isArray(s) && (s[0] === "pty" || s[1] === "pty" || s[2] === "pty"));
}

/** A slot of 0-2 as the user wrote it: its value and the option's name. */
function slot(o: Options, fd: number): [unknown, string] {
  const s = o.stdio as unknown;
  if (Array.isArray(s) && fd < s.length && s[fd] !== undefined) return [s[fd], `stdio[${fd}]`];
  const own = (o as Record<string, unknown>)[names[fd]!];
  if (own !== undefined) return [own, names[fd]!];
  return [typeof s === "string" ? s : undefined, typeof s === "string" ? "stdio" : names[fd]!];
}

/**
 * The checked request, or undefined when no terminal is asked for. Throws
 * TypeError naming the option; opens nothing.
 */
export function ptyRequest(o: Options): PtyRequest | undefined {
  if (!wantsPty(o)) return undefined;
  const p: unknown = o.pty;
  let cols = DEFAULT_COLS, rows = DEFAULT_ROWS, term: string | undefined;
  if (typeof p === "object" && p !== null && !Array.isArray(p)) {
    for (const k of Object.keys(p)) {
      if (!known.has(k)) throw new TypeError(`pty: unknown option ${describe(k)}; known: cols, rows, term`);
    }
    const q = ownOptions(p as PtyOptions);
    if (q.cols !== undefined) cols = int(q.cols, "pty.cols", 1, SIZE_MAX);
    if (q.rows !== undefined) rows = int(q.rows, "pty.rows", 1, SIZE_MAX);
    if (q.term !== undefined) term = noNul(q.term, "pty.term");
    if (term === "" || term?.includes("=")) throw new TypeError(`pty.term must be a terminal name, got ${describe(term)}`);
  } else if (p !== undefined && p !== true && p !== false) {
    throw new TypeError(`pty must be true or { cols, rows, term }, got ${describe(p)}`);
  }
  const all = p !== undefined && p !== false;
  let slots = 0;
  for (let fd = 0; fd < 3; fd++) {
    const [v] = slot(o, fd);
    if (v === "pty" || (all && v === undefined)) slots |= 1 << fd;
  }
  if (p === false) throw new TypeError(`pty is false, but ${slotNames(o)} asks for a terminal ("pty")`);
  if (slots === 0) {
    throw new TypeError("pty: stdin, stdout and stderr are all given something else: no fd of the child is left for the terminal");
  }
  if (!(slots & 6)) {
    throw new TypeError(`${slot(o, 0)[1]}: a terminal for stdin alone would leave its output (the echo) unread: put stdout on it too`);
  }
  if (o.setsid === false) throw new TypeError("setsid: false contradicts pty: a terminal's program leads a session of its own");
  if (typeof o.processGroup === "number") {
    throw new TypeError("processGroup: a number contradicts pty: a terminal's program leads a session (and its process group) of its own");
  }
  return { cols, rows, term, slots };
}

function slotNames(o: Options): string {
  const marked: string[] = [];
  for (let fd = 0; fd < 3; fd++) {
    const [v, name] = slot(o, fd);
    if (v === "pty") marked.push(name);
  }
  return marked.join(", ");
}

/** TERM for the child: the user's env wins, then pty.term, then an inherited TERM, then xterm-256color. */
function environment(o: Options, term: string | undefined): Options["env"] {
  const env = o.env;
  if (env && typeof env === "object" && Object.hasOwn(env, "TERM")) return env;
  if (term === undefined && o.clearEnv !== true && inheritedTerm()) return env;
  return { ...env, TERM: term ?? DEFAULT_TERM };
}

function inheritedTerm(): boolean {
  try {
    return typeof process !== "undefined" && !!process.env.TERM;
  } catch {
    return true; // not ours to read (a Deno Worker without --allow-env): leave the environment alone
  }
}

/** The options the native backend spawns with: the slave on the terminal's slots, setsid, TERM. */
export function ptyOptions(o: Options, req: PtyRequest, slave: number): Options {
  const out: PtyMarked = ownOptions<PtyMarked>(o, { setsid: true, env: environment(o, req.term) });
  delete out.pty;
  const s = o.stdio as unknown;
  const stdio = Array.isArray(s) ? [...s] : undefined;
  if (typeof s === "string") {
    // The shorthand, spelled out: "pty" there means every slot not given.
    delete out.stdio;
    for (let fd = 0; fd < 3; fd++) {
      const name = names[fd]!;
      if ((out as Record<string, unknown>)[name] === undefined) (out as Record<string, unknown>)[name] = s;
    }
  }
  for (let fd = 0; fd < 3; fd++) {
    if (!(req.slots & (1 << fd))) continue;
    if (stdio && fd < stdio.length && stdio[fd] !== undefined) stdio[fd] = slave;
    else (out as Record<string, unknown>)[names[fd]!] = slave;
  }
  if (stdio) out.stdio = stdio as Options["stdio"];
  out[controllingFd] = Math.log2(req.slots & -req.slots); // the lowest fd on the terminal
  return out;
}

/** Our fds of a terminal opened for a spawn: the master, a second fd of it for stdin (or -1), the slave. */
export interface PtyPair {
  master: number;
  input: number;
  slave: number;
}

/**
 * Opens the pair: SpawnError (step "pty") when the system has none to give.
 * `input`: a second fd of the master for typing (runSync() types nothing).
 */
export function openPty(native: Native, req: PtyRequest, file: string, args: readonly string[], input = (req.slots & 1) !== 0): PtyPair {
  const out = new Int32Array(2);
  let r = native.asp_pty_open(req.cols, req.rows, new Uint8Array(out.buffer));
  const pair = { master: out[0]!, input: -1, slave: out[1]! };
  if (r >= 0 && input) {
    r = pair.input = native.asp_dup(pair.master);
    if (r < 0) closePty(native, pair);
  }
  if (r < 0) throw new SpawnError(-r, "pty", commandLine(file, args));
  return pair;
}

/** After a failed spawn: every fd of the pair. */
export function closePty(native: Native, pair: PtyPair): void {
  native.asp_close(pair.master);
  if (pair.input >= 0) native.asp_close(pair.input);
  if (pair.slave >= 0) native.asp_close(pair.slave);
  pair.slave = -1;
}

/**
 * The master as stdout reads it: once no slave is open anywhere (the
 * program and everything it started are gone), Linux fails the read with
 * EIO rather than returning 0 — that is the end of the output, after
 * everything the program wrote.
 */
export class PtyReader extends FdReader {
  /** Closed with the master: nobody can read keystrokes any more. */
  writer: PtyWriter | undefined;
  #ended = false;
  #exited = false;
  #eio = false;

  /**
   * The first EIO may come while what the program wrote just before the
   * slave's last close is still queued for the master: the kernel's read
   * flushes that queue before it checks for the hang-up, so a write and a
   * close in between escape it (a program that writes and is killed at
   * once). A second read flushes them.
   */
  protected override readsAgain(errno: number): boolean {
    if (errno !== EIO || this.#eio) return false;
    this.#eio = true;
    return true;
  }

  /**
   * EIO: the end of the output. The master stays open until the program has
   * exited: closing it hangs the terminal up, and a program that closes its
   * stdio before exiting (coreutils do) would die of SIGHUP.
   */
  protected override endsAt(errno: number): boolean {
    if (errno !== EIO) return false;
    this.#ended = true;
    if (this.#exited) this.close();
    return true;
  }

  /** The program exited (NativeChild): a master at the end of its output closes now. */
  childExited(): void {
    this.#exited = true;
    if (this.#ended) this.close();
  }

  override close(): void {
    super.close();
    this.writer?.close();
  }
}


/**
 * The master as stdin writes it (a second fd of it, so that reading and
 * writing are watched apart). Closing it ends the input the terminal way:
 * it types the EOF character (^D), which a program reading lines sees as
 * end of file; the master stays open for the output.
 */
export class PtyWriter extends FdWriter {
  override close(): void {
    // Best effort: a full input queue, or no program left (EIO), changes nothing.
    if (!this.closed) this.native.asp_write(this.handle, EOT, 1);
    super.close();
  }
}

const EOT = new Uint8Array([4]);

/** The terminal of a child spawned with `pty`: its window size. */
export class Pty {
  readonly #native: Native;
  readonly #reader: PtyReader;
  readonly #writer: PtyWriter | undefined;
  readonly #size = new Int32Array(2);

  /** @internal */
  constructor(native: Native, reader: PtyReader, writer: PtyWriter | undefined) {
    this.#native = native;
    this.#reader = reader;
    this.#writer = writer;
  }

  /** @internal The program exited (NativeChild): a master at the end of its output closes now. */
  childExited(): void {
    this.#reader.childExited();
  }

  /**
   * Set the window size: the program gets SIGWINCH. Throws TypeError for a
   * size out of 1..65535 and an Error (`code` EBADF) once the terminal is
   * closed (the program and its output are gone).
   */
  resize(cols: number, rows: number): void {
    int(cols, "pty.resize(): cols", 1, SIZE_MAX);
    int(rows, "pty.resize(): rows", 1, SIZE_MAX);
    const r = this.#native.asp_pty_resize(this.#fd("resize"), cols, rows);
    if (r < 0) throw ptyError(-r, "resize");
  }

  /** The window size now. Throws as resize() does once the terminal is closed. */
  get size(): { cols: number; rows: number } {
    const r = this.#native.asp_pty_size(this.#fd("size"), new Uint8Array(this.#size.buffer));
    if (r < 0) throw ptyError(-r, "size");
    return { cols: this.#size[0]!, rows: this.#size[1]! };
  }

  #fd(what: string): number {
    if (this.#reader.fd >= 0) return this.#reader.fd;
    if (this.#writer && this.#writer.fd >= 0) return this.#writer.fd;
    throw ptyError(9, what); // EBADF
  }
}

function ptyError(errno: number, what: string): Error {
  const code = errnoCode(errno);
  const why = errno === 9 ? "the terminal is closed (its program exited and the output was read)" : errnoMessage(errno);
  return Object.assign(new Error(`pty.${what}(): ${code}: ${why}`), { code, errno, syscall: "ioctl" });
}

/** Our ends of the terminal: the reader owns the master, the writer (stdin on the terminal) a second fd of it. */
export interface PtyEnds {
  reader: PtyReader;
  writer: PtyWriter | undefined;
  pty: Pty;
}

export function ptyEnds(native: Native, channel: Channel, pair: PtyPair): PtyEnds {
  const reader = new PtyReader(native, channel, pair.master);
  const writer = pair.input >= 0 ? new PtyWriter(native, channel, pair.input) : undefined;
  reader.writer = writer;
  return { reader, writer, pty: new Pty(native, reader, writer) };
}
