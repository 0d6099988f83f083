/**
 * Where libaspawn.so may be, in the order tried (the first that loads wins):
 * 1. $ASPAWN_LIBRARY, and nothing else when it is set;
 * 2. on Bun, the prebuilt as a file import ("#prebuilt"): embedded in a
 *    `bun build --compile` binary, an asset next to a `bun build` bundle;
 * 3. this package's prebuilt, from where this module is: src/ffi/ (run from
 *    source) or dist/ (the JavaScript build);
 * 4. bundled into an application, this module is the application's bundle:
 *    prebuilds/ next to it (next to the file a symbolic link to it names,
 *    too), then node_modules/aspawn's, looked for as require() looks from
 *    the bundle, then from the working directory. Never a prebuilds/
 *    further up: the bundle's parent may be anyone's (/tmp), and loading a
 *    library runs its code before its version can be checked.
 * Lazily: Deno may ask the user about each path, so the right one for the
 * usual layouts comes first and later ones are only looked for if needed.
 */
import { existsSync, realpathSync, statSync } from "node:fs";
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

/**
 * The places the last candidates() walk passed over, and why: a
 * LibraryLoadError lists them after the paths it tried, so that "copy
 * prebuilds/ next to the bundle" is not the advice to one who did.
 * `prebuilds`: a prebuilds/ that is there, skipped (else a walk for
 * node_modules/aspawn that stopped).
 */
export const passedOver: { text: string; prebuilds: boolean }[] = [];

export function* candidates(): Generator<string> {
  passedOver.length = 0;
  // The bundle's walk and the working directory's may stop at the same place: said once.
  const note = (text: string, prebuilds = false) => void (passedOver.some((p) => p.text === text) || passedOver.push({ text, prebuilds }));
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
  // Each prebuilds/ only where nobody else may have put it: a directory
  // others may write into (/tmp) holds anyone's, and loading a library runs
  // its code before its version can be checked.
  const own = /\/src\/ffi\/[^/]+$/.test(url) ? at(`../../${rel}`) : /\/dist\/[^/]+$/.test(url) ? at(`../${rel}`) : undefined;
  const mine = (p: string) => {
    const dir = p.slice(0, -rel.length - 1) || "/"; // the directory prebuilds/ is in
    if (!shared(dir)) return true;
    note(`${p}: not tried, ${dir} is writable by others (what it holds may be anyone's)`, true);
    return false;
  };
  if (own && fresh(own) && mine(own)) yield own;
  // Bundles: beside it, then an installed package.
  const beside = at(rel);
  if (fresh(beside) && mine(beside)) yield beside;
  const real = readable(fileURLToPath(url)) ? realBeside(url, rel) : undefined;
  if (real && fresh(real) && mine(real)) yield real;
  for (const p of installed(dirname(fileURLToPath(url)), rel, note)) if (fresh(p)) yield p;
  // Deno tells the working directory only to a program that may read everything.
  if (runtime !== "deno" || denoReadsFiles()) for (const p of installed(process.cwd(), rel, note)) if (fresh(p)) yield p;
}

/**
 * Whether others may write into `dir` (o+w, as /tmp, /var/tmp, /dev/shm):
 * what it holds may be anyone's. Deno without read access to it cannot
 * tell: no (a layout the user chose, prebuilds/ beside the bundle).
 */
function shared(dir: string): boolean {
  if (!readable(dir)) return false;
  try {
    return (statSync(dir).mode & 0o002) !== 0;
  } catch {
    return false; // missing: nothing to load there either
  }
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
 * The node_modules directories where require() looks from `dir`: in it and
 * each directory above, up to one others may write into (a node_modules/
 * there is anyone's); on Deno, as far as it may read. Not Node's own
 * resolver: out of fds, it takes the package.json files it could not read
 * as missing, for as long as the process lives. `note` hears where the walk
 * stopped short of the root, and why.
 */
function* nodeModules(dir: string, note?: (why: string) => void): Generator<string> {
  for (let d = dir; ; d = dirname(d)) {
    const modules = `${d === "/" ? "" : d}/node_modules`;
    if (!readable(d)) return note?.(`node_modules/aspawn in ${d} and above: not looked for, Deno may not read ${d} (--allow-read=${d})`);
    const open = shared(d) ? d : shared(modules) ? modules : undefined;
    if (open) return note?.(`node_modules/aspawn in ${d} and above: not looked for, ${open} is writable by others`);
    if (!d.endsWith("/node_modules")) yield modules;
    if (d === "/" || d === ".") return;
  }
}

/** The prebuilt of an installed package (npm, Bun and pnpm layouts: the loader follows node_modules/aspawn's link; it needs no read permission). */
function* installed(dir: string, rel: string, note?: (why: string) => void): Generator<string> {
  for (const modules of nodeModules(dir, note)) yield `${modules}/aspawn/${rel}`;
}

/**
 * The real directory of the installed aspawn package, found where
 * installed() looks (Node: koffi is beside it in a pnpm layout), or undefined.
 */
export function installedPackage(dir: string): string | undefined {
  for (const modules of nodeModules(dir)) {
    try {
      if (existsSync(`${modules}/aspawn/package.json`)) return realpathSync(`${modules}/aspawn`);
    } catch {
      // unreadable: look further up
    }
  }
  return undefined;
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
