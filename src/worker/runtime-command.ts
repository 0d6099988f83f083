/**
 * The command line that starts a worker: which runtime, which executable,
 * which host file of this package, and the flags each runtime needs.
 */
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { packageDir } from "../ffi/locate.ts";
import { moduleUrl, runtime as current, type RuntimeName } from "../ffi/runtime.ts";

export interface RuntimeChoice {
  kind: RuntimeName;
  executable: string;
  /** Variables the executable needs to act as its runtime. */
  env?: Record<string, string>;
}

const NAMES = ["node", "bun", "deno"] as const;

/**
 * A `bun build --compile` binary is the application, not bun: started as a
 * worker it would run the application again (which starts a worker…).
 * BUN_BE_BUN=1 makes it act as bun, the runtime embedded in it.
 */
const main = (globalThis as { Bun?: { main?: unknown } }).Bun?.main;
const compiledBun = typeof main === "string" && /^(\/\$bunfs\/|[A-Za-z]:[\\/]~BUN[\\/])/.test(main);

/** The caller's own runtime: its very executable, not whatever PATH finds. */
const own = (): RuntimeChoice =>
  compiledBun ? { kind: current, executable: process.execPath, env: { BUN_BE_BUN: "1" } } : { kind: current, executable: process.execPath };

/** `runtime` as the user wrote it: a name, or a path whose file name says which runtime it is. */
export function runtimeOf(runtime: unknown): RuntimeChoice {
  if (runtime === undefined) return own();
  if (typeof runtime !== "string" || runtime === "") {
    throw new TypeError(`runtime must be "node", "bun", "deno" or the path of one of them, got ${typeof runtime === "string" ? '""' : typeof runtime}`);
  }
  if ((NAMES as readonly string[]).includes(runtime)) {
    const kind = runtime as RuntimeName;
    return kind === current ? own() : { kind, executable: kind };
  }
  const base = runtime.slice(runtime.lastIndexOf("/") + 1);
  const kind = NAMES.find((n) => base.startsWith(n));
  if (!kind) {
    throw new TypeError(`runtime: cannot tell which runtime ${JSON.stringify(runtime)} is; its file name must start with node, bun or deno`);
  }
  return { kind, executable: runtime };
}

/** The module to load, as a URL the worker's import() takes: a URL, a file URL string, or a path (relative to our cwd). */
export function moduleHref(module: unknown): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== "string" || module === "") throw new TypeError("worker(): module must be a URL or a path");
  if (/^[a-z][a-z0-9+.-]*:/i.test(module)) return new URL(module).href;
  return pathToFileURL(isAbsolute(module) ? module : resolve(module)).href;
}

/**
 * The host program: what the parent itself runs from. From the sources
 * (src/): src/worker/host.ts for Bun and Deno, which run TypeScript (Deno
 * not under node_modules), and the build's dist/worker-host.js for Node
 * (Node 20 cannot). From the build
 * (dist/): dist/worker-host.js for every runtime. From a remote URL (JSR):
 * Deno runs the host from there; Node and Bun cannot.
 */
export function hostPath(kind: RuntimeName): string {
  const url = moduleUrl();
  if (!url) throw new Error("aspawn: worker() cannot tell where its host program is");
  const fromSrc = /\/src\/(ffi|worker)\/[^/]+$/.test(url), fromDist = /\/dist\/[^/]+$/.test(url);
  if (!url.startsWith("file:")) {
    if (fromSrc && kind === "deno") return new URL("../worker/host.ts", url).href;
    throw new Error(`aspawn: a ${kind} worker cannot run a host program loaded from ${url}: install the npm package for that`);
  }
  if (!fromSrc && !fromDist) return bundledHost(url);
  const root = new URL(fromSrc ? "../../" : "../", url);
  // Deno strips no types under node_modules: there it runs the build too.
  const ts = fileURLToPath(new URL("src/worker/host.ts", root));
  if (fromSrc && (kind === "bun" || (kind === "deno" && !ts.includes("/node_modules/")))) return ts;
  const js = fileURLToPath(new URL("dist/worker-host.js", root));
  if (!exists(js)) throw new Error(`aspawn: a Node worker runs ${js}, which does not exist: build the package (npm run build)`);
  return js;
}

/**
 * aspawn bundled into an application (esbuild, bun build): the host is not
 * beside this code, so it is the installed package's build, found as
 * Node resolves "aspawn" from the bundle, then from the working directory.
 */
function bundledHost(url: string): string {
  for (const from of [url, `${process.cwd()}/`]) {
    const pkg = packageDir(from);
    const js = pkg && `${pkg}/dist/worker-host.js`;
    if (js && exists(js)) return js;
  }
  throw new Error(
    `aspawn: worker() cannot find its host program: aspawn was bundled into ${url}, and no installed aspawn ` +
      "(with its dist/worker-host.js) resolves from there or from the working directory; keep the package in node_modules",
  );
}

/** Whether a file exists; a look Deno's permissions refuse (no --allow-read)
 * counts as yes: the worker runtime, with every permission, will say. */
function exists(path: string): boolean {
  try {
    return existsSync(path);
  } catch {
    return true;
  }
}

/** argv of the worker: the runtime, its flags, the host, its side socket's fd, the module. */
export function workerArgs(kind: RuntimeName, runtimeArgs: readonly string[], host: string, href: string, sideFd: number): string[] {
  // Deno: every permission. The host loads libaspawn.so through FFI, and
  // --allow-ffi already gives away what the other permissions guard.
  const flags = kind === "deno" ? ["run", "--allow-all", ...runtimeArgs] : [...runtimeArgs];
  return [...flags, host, String(sideFd), href];
}
