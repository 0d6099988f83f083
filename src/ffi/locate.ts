/**
 * Where libaspawn.so may be, in the order tried (the first that loads wins):
 * 1. $ASPAWN_LIBRARY, and nothing else when it is set;
 * 2. on Bun, the prebuilt as a file import ("#prebuilt"): embedded in a
 *    `bun build --compile` binary, an asset next to a `bun build` bundle;
 * 3. this package's prebuilt, from where this module is: src/ffi/ (run from
 *    source) or dist/ (the JavaScript build);
 * 4. bundled into an application, this module is the application's bundle:
 *    prebuilds/ next to it (next to the file a symbolic link to it names,
 *    too), then the aspawn package Node's resolution finds from the bundle
 *    and from the working directory. Never a prebuilds/ further up: the
 *    bundle's parent may be anyone's (/tmp), and loading a library runs
 *    its code before its version can be checked.
 * Lazily: Deno may ask the user about each path, so the right one for the
 * usual layouts comes first and later ones are only looked for if needed.
 */
import { realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type * as Prebuilt from "./prebuilt.ts";
import { arch, denoReadsFiles, env, moduleUrl, platform, runtime } from "./runtime.ts";

export const supportedTargets = ["linux-x64", "linux-arm64"] as const;

export function target(): string {
  return `${platform()}-${arch()}`;
}

/** Set when the user chose the library: nothing else is tried. */
export function override(): string | undefined {
  return env("ASPAWN_LIBRARY") || undefined;
}

export function* candidates(): Generator<string> {
  const chosen = override();
  if (chosen) return yield chosen;
  const rel = `prebuilds/${target()}/libaspawn.so`;
  const seen = new Set<string>();
  const fresh = (p: string | undefined) => p !== undefined && !seen.has(p) && !!seen.add(p);
  const embedded = bunPrebuilt();
  const url = moduleUrl();
  const at = (p: string) => fileURLToPath(new URL(p, url));
  // A `bun build` bundle names its asset relative to itself, not to the working directory.
  if (embedded?.startsWith(".") && url?.startsWith("file:") && fresh(at(embedded))) yield at(embedded);
  if (fresh(embedded)) yield embedded!;
  if (!url?.startsWith("file:")) return;
  const own = /\/src\/ffi\/[^/]+$/.test(url) ? at(`../../${rel}`) : /\/dist\/[^/]+$/.test(url) ? at(`../${rel}`) : undefined;
  if (fresh(own)) yield own!;
  // Bundles: beside it. An app's dist/ or out/ beside node_modules, and
  // this repository's build/<name>/ (the package resolves itself by name),
  // find the package below.
  const beside = at(rel);
  if (fresh(beside)) yield beside;
  const real = readable(fileURLToPath(url)) ? realBeside(url, rel) : undefined;
  if (fresh(real)) yield real!;
  // A bundle run beside node_modules finds the package here (Deno: with
  // read access to the bundle's directory; to all, for the working one,
  // which Deno tells only to a program that may read everything).
  const fromBundle = readable(dirname(fileURLToPath(url))) ? packageDir(url) : undefined;
  if (fresh(fromBundle && `${fromBundle}/${rel}`)) yield `${fromBundle}/${rel}`;
  const fromCwd = runtime !== "deno" || denoReadsFiles() ? packageDir(`${process.cwd()}/`) : undefined;
  if (fresh(fromCwd && `${fromCwd}/${rel}`)) yield `${fromCwd}/${rel}`;
}

/**
 * Bun: a literal require, which Bun's bundler follows ("#prebuilt" is
 * prebuilt-bun.ts under the Bun condition), so that bun build --compile
 * embeds the libraries. Not an import: Deno resolves "#" specifiers only
 * within its own project, and would fail to load this module from another.
 * Required at import, while fds are likely free (the first spawn may come
 * when the process has none left: then loading fails with EMFILE as a
 * whole, not here), and again later if that failed.
 */
function requirePrebuilt(): Readonly<Record<string, string>> | undefined {
  if (runtime !== "bun") return undefined;
  try {
    return (require("#prebuilt") as typeof Prebuilt).prebuilt;
  } catch {
    return undefined;
  }
}

let bunPrebuilts = requirePrebuilt();

function bunPrebuilt(): string | undefined {
  bunPrebuilts ??= requirePrebuilt();
  return bunPrebuilts?.[target()];
}

/**
 * Whether `path` may be read without asking: Deno without --allow-read for
 * it would prompt (or refuse), and its own npm packages load through the
 * layouts above.
 */
export function readable(path: string): boolean {
  return runtime !== "deno" || denoReadsFiles(path);
}

/**
 * prebuilds/ beside the file a symbolic link to the bundle names (Node and
 * Bun name the module by that file already, Deno by the link). Without
 * read access Deno refuses to resolve it: then there is none.
 */
function realBeside(url: string, rel: string): string | undefined {
  try {
    return `${dirname(realpathSync(fileURLToPath(url)))}/${rel}`;
  } catch {
    return undefined;
  }
}

/** The installed aspawn package, as require() would find it from `from`. */
export function packageDir(from: string): string | undefined {
  try {
    return dirname(createRequire(from).resolve("aspawn/package.json"));
  } catch {
    return undefined;
  }
}
