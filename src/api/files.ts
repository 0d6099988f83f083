/**
 * The stdio entries that are not an fd of ours: a file the child opens
 * itself (`{ file }`), and a merge of one child fd into another (`"stdout"`,
 * `"stderr"`, `{ child: n }`). Both become pre-exec steps after the fd map
 * (steps.ts): the opens after `cwd` and the credentials, the merges last, so
 * that a merge copies whatever its source fd ended up as — a pipe, a file,
 * an inherited fd.
 */
import { Open, Req } from "../ffi/abi.ts";
import { bool, int, pathOf } from "./check.ts";
import { ownOptions } from "./own-options.ts";

/**
 * A file the child opens itself before exec, relative to `cwd` and with the
 * child's credentials (after `uid`/`gid`, as `su user -c 'cmd > file'`):
 * no fd of this process is involved. stdin's file is opened read-only;
 * every other fd's is written: created if missing (with `mode`, less the
 * child's umask) and truncated, or appended to with `append: true`. A
 * failure rejects with a SpawnError whose `step` is `open stdout` (`open
 * stdio[3]`...) and whose message names the path.
 */
export interface FileOption {
  /** A path, or a file: URL. */
  file: string | URL;
  /** O_APPEND instead of O_TRUNC. @default false */
  append?: boolean;
  /** The mode of a file it creates (the umask applies). @default 0o666 */
  mode?: number;
}

/**
 * Another fd of the child: this fd becomes a copy of child fd `child`
 * (`2>&1` is `stdio[2] = { child: 1 }`, or `stderr: "stdout"`), after every
 * other fd is in place — so it follows that fd to a pipe, a file or an
 * inherited fd. Chains are followed; a cycle, a copy of itself or of a
 * closed fd is a TypeError.
 */
export interface ChildFdOption {
  child: number;
}

export interface FileOpen {
  fd: number;
  /** Open.* */
  flags: number;
  mode: number;
  path: string;
}

const SHORTHANDS: readonly unknown[] = ["pipe", "inherit", "ignore"];

/** `stdio: "pipe" | "inherit" | "ignore"`: the value for fds 0-2, or undefined for an array or none. */
export function stdioShorthand(v: unknown): "pipe" | "inherit" | "ignore" | undefined {
  if (typeof v !== "string") return undefined;
  if (!SHORTHANDS.includes(v)) throw new TypeError(`stdio must be "pipe", "inherit", "ignore" or an array, got ${JSON.stringify(v)}`);
  return v as "pipe" | "inherit" | "ignore";
}

const plain = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype;

export function isFile(v: unknown): v is FileOption {
  return plain(v) && Object.hasOwn(v, "file");
}

/** `{ child }` (any plain object on an extra fd, whose message then says what it must be). */
export function isChildFd(v: object, fd: number): boolean {
  return plain(v) && (Object.hasOwn(v, "child") || fd > 2);
}

const FILE_KEYS = new Set(["file", "append", "mode"]);

/** `{ file, append?, mode? }` on fd: stdin (fd 0) read-only, every other fd written. */
export function fileOpen(v: FileOption, fd: number, name: string): FileOpen {
  v = ownOptions(v);
  for (const k of Object.keys(v)) {
    if (!FILE_KEYS.has(k)) throw new TypeError(`${name}: unknown key "${k}" (a file is { file, append?, mode? })`);
  }
  const path = pathOf(v.file, `${name}.file`);
  if (path === "") throw new TypeError(`${name}.file must not be empty`);
  if (fd === 0) {
    if (v.append !== undefined || v.mode !== undefined) {
      throw new TypeError(`${name}: append and mode are for output files (stdin's file is opened read-only)`);
    }
    return { fd, flags: 0, mode: 0, path };
  }
  const append = bool(v.append, `${name}.append`);
  const mode = v.mode === undefined ? 0o666 : int(v.mode, `${name}.mode`, 0, 0o7777);
  return { fd, flags: Open.WRITE | (append ? Open.APPEND : 0), mode, path };
}

/** The child fd a merge entry copies. */
export function mergeSource(v: unknown, fd: number, name: string): number {
  let src: number;
  if (v === "stdout" || v === "stderr") src = v === "stdout" ? 1 : 2;
  else {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length !== 1 || keys[0] !== "child") {
      throw new TypeError(`${name} must be { child: fd } to copy another fd of the child, or { file, append?, mode? }`);
    }
    src = int((v as ChildFdOption).child, `${name}.child`, 0, Req.MAX_FD - 1);
  }
  if (src === fd) throw new TypeError(`${name} cannot be a copy of itself (child fd ${fd})`);
  return src;
}

/**
 * Each merge's final source: a chain (2 -> 1 -> 3) is followed to an fd
 * that is no merge, which the child must have (from the fd map or a file);
 * a cycle is a TypeError.
 */
export function resolveMerges(
  merges: ReadonlyMap<number, number>,
  placed: { pairs: readonly (readonly [number, number])[]; opens: readonly FileOpen[] },
  name: (fd: number) => string,
): [src: number, dst: number][] {
  const open = new Set<number>();
  for (const [, dst] of placed.pairs) open.add(dst);
  for (const f of placed.opens) open.add(f.fd);
  const out: [number, number][] = [];
  for (const [dst, first] of merges) {
    const chain = [dst];
    let src = first;
    while (merges.has(src)) {
      if (chain.includes(src)) {
        throw new TypeError(`${name(dst)}: the merges of child fds ${[...chain, src].join(" -> ")} form a cycle`);
      }
      chain.push(src);
      src = merges.get(src)!;
    }
    if (!open.has(src)) {
      throw new TypeError(`${name(dst)}: child fd ${src} is closed (nothing in stdio gives it), so there is nothing to copy`);
    }
    out.push([src, dst]);
  }
  return out;
}
