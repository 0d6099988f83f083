/**
 * What the child executes, when `shell` or `preferLocal` says more than
 * `file`: `shell` turns the command line into `SHELL -c LINE`, and
 * `preferLocal` puts `node_modules/.bin` directories in front of the
 * child's PATH. Both only rewrite (file, args, options) before the request
 * is planned; the child's own PATH search does the rest.
 */
import { resolve } from "node:path";
import { bool, describe, noNul, optionalPath } from "./check.ts";
import type { Options } from "./options.ts";
import { ownOptions } from "./own-options.ts";

export interface Command {
  file: string;
  args: readonly string[];
  options: Options;
}

/** What the child's PATH search uses when it has no PATH (lib/c/child.c). */
const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

/** Whether `command()` has anything to do: spawns without either option copy nothing. */
export function rewritesCommand(o: Options): boolean {
  return o.shell !== undefined || o.preferLocal !== undefined;
}

export function command(file: string, args: readonly string[], o: Options): Command {
  const shell = shellPath(o.shell);
  if (bool(o.preferLocal, "preferLocal")) o = ownOptions(o, { env: { ...o.env, PATH: localPath(o) } });
  if (shell === undefined) return { file, args, options: o };
  noNul(file, "file");
  if (file === "") throw new TypeError("file must not be empty (with shell, it is the command line)");
  // Checked here, where their indices are still the caller's.
  for (let i = 0; i < args.length; i++) noNul(args[i], `args[${i}]`);
  // The arguments become $1, $2 ...: the shell never parses them. $0 is
  // what it would be without them, so scripts see the same name either way.
  const line = args.length === 0 ? ["-c", file] : ["-c", file, o.argv0 ?? shell, ...args];
  return { file: shell, args: line, options: o };
}

function shellPath(v: unknown): string | undefined {
  if (v === undefined || v === false) return undefined;
  if (v === true) return "/bin/sh";
  if (typeof v !== "string") throw new TypeError(`shell must be a boolean or the path of a shell, got ${describe(v)}`);
  if (v === "") throw new TypeError("shell must not be an empty string");
  return noNul(v, "shell");
}

/** The last PATH built: spawns from one directory build it once. */
let last = { key: "", base: undefined as string | undefined, path: "" };

/**
 * Every `node_modules/.bin` from cwd up to the root, then the PATH the
 * child would have had. Directories are listed whether they exist or not:
 * the child's PATH search skips the missing ones, and nothing is read here.
 */
function localPath(o: Options): string {
  const raw = optionalPath(o.cwd, "cwd") ?? "";
  // An absolute cwd is its own key (resolve() costs more than the rest);
  // a relative one depends on the current directory.
  const key = raw.startsWith("/") ? raw : resolve(raw);
  const env = o.env;
  const own = typeof env === "object" && env !== null && Object.hasOwn(env, "PATH");
  const base = own ? env.PATH : o.clearEnv === true ? undefined : inheritedPath();
  if (last.key === key && last.base === base) return last.path;
  // An absolute path without ".", ".." or a trailing "/".
  const cwd = resolve(key);
  let path = "";
  for (let d = cwd; d !== "/" && d !== ""; d = d.slice(0, d.lastIndexOf("/"))) path += `${d}/node_modules/.bin:`;
  path += `/node_modules/.bin:${base ?? DEFAULT_PATH}`;
  last = { key, base, path };
  return path;
}

/**
 * The PATH the child inherits. Deno reads it only with --allow-env=PATH:
 * its refusal (NotCapable, kept as its class) then says what asked.
 */
function inheritedPath(): string | undefined {
  try {
    return process.env.PATH;
  } catch (e) {
    if ((e as Error | null)?.name !== "NotCapable") throw e;
    const Same = (e as Error).constructor as new (message: string, options: { cause: unknown }) => Error;
    throw new Same(`preferLocal puts node_modules/.bin in front of the inherited PATH, which Deno reads only with --allow-env=PATH (or give env.PATH): ${(e as Error).message}`, { cause: e });
  }
}
