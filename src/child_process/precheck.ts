/**
 * Node learns that a program or a cwd is missing while spawning, so the
 * ChildProcess never gets a pid; this library learns it from the child,
 * after spawn() returned. To keep `pid` undefined in those cases, the
 * program is looked up here first as execvp will (PATH of the child's
 * environment, relative to cwd), and the cwd checked. Found programs are
 * remembered per PATH, cwd and name, so a repeated spawn costs a map
 * lookup; a miss is never remembered. Any doubt (no read permission on
 * Deno, a race) leaves the verdict to the child, which reports the same
 * error asynchronously, only with a pid.
 */
import { accessSync, constants, statSync } from "node:fs";
import { EACCES, ENOENT, ENOTDIR } from "../api/errno.ts";

const known = new Map<string, true>();
const MAX_KNOWN = 1024;

/** The last call found: the same again builds and hashes no key (a PATH is long). */
let last: [file: string, cwd: string | undefined, path: string | undefined] | undefined;

/** The errno the spawn would fail with (ENOENT, EACCES, ENOTDIR), or 0 when it may well succeed. */
export function precheck(file: string, cwd: string | undefined, path: string | undefined): number {
  if (last && last[0] === file && last[1] === cwd && last[2] === path) return 0;
  const key = `${path}\0${cwd}\0${file}`;
  let r = 0;
  if (!known.has(key)) {
    r = lookup(file, cwd, path);
    if (r !== 0) return r;
    if (known.size >= MAX_KNOWN) known.clear();
    known.set(key, true);
  }
  last = [file, cwd, path];
  return r;
}

function errnoOf(e: unknown): number {
  const code = (e as { code?: string }).code;
  return code === "ENOENT" ? ENOENT : code === "EACCES" ? EACCES : code === "ENOTDIR" ? ENOTDIR : 0;
}

function lookup(file: string, cwd: string | undefined, path: string | undefined): number {
  try {
    if (cwd !== undefined && !statSync(cwd).isDirectory()) return ENOTDIR;
  } catch (e) {
    return errnoOf(e);
  }
  const at = (p: string) => (p.startsWith("/") || cwd === undefined ? p : `${cwd}/${p}`);
  const executable = (p: string): number => {
    try {
      accessSync(at(p), constants.X_OK);
      return statSync(at(p)).isDirectory() ? EACCES : 0;
    } catch (e) {
      return errnoOf(e) || -1; // -1: could not tell
    }
  };
  if (file.includes("/")) return Math.max(executable(file), 0);
  // execvp: each PATH entry in turn ("" is the current directory); EACCES
  // when some entry had the file but not executable, else ENOENT.
  let seen = ENOENT;
  for (const dir of (path ?? "/usr/local/bin:/usr/bin:/bin").split(":")) {
    const r = executable(`${dir || "."}/${file}`);
    if (r <= 0) return 0;
    if (r === EACCES) seen = EACCES;
  }
  return seen;
}
