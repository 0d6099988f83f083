/**
 * Loads libaspawn.so once per JS context, lazily, with the binding of the
 * runtime we are on. Nothing outside src/ffi touches bun:ffi, Deno.dlopen
 * or koffi.
 */
import { Abi } from "./abi.ts";
import { EMFILE } from "../api/errno.ts";
import { openBun } from "./bun.ts";
import { openDeno } from "./deno.ts";
import { candidates, override, passedOver, supportedTargets, target } from "./locate.ts";
import { openNode } from "./node.ts";
import { env, runtime } from "./runtime.ts";
import { type Bound, type Native, symbols, type Table } from "./symbols.ts";
import { traced } from "./trace.ts";

/** The library could not be loaded; `message` says what was tried and what to do. */
export class LibraryLoadError extends Error {
  override name = "LibraryLoadError";
  /** EMFILE (24) when loading failed only because this process is out of fds. */
  errno?: number;
  /** @internal The paths tried, in order. */
  tried?: readonly string[];
}

const outOfFds = (e: unknown) => /EMFILE|ENFILE|too many open files/i.test(`${(e as { code?: string })?.code} ${(e as Error)?.message ?? e}`);

let native: Native | undefined;

const open = { bun: openBun, deno: openDeno, node: openNode }[runtime];

/**
 * @internal Another library of this notation, through the same binding
 * (bench/ loads its C floors into the runtime's process with it).
 */
export function openTable<T extends Table>(path: string, table: T): Bound<T> {
  return runtime === "bun" ? openBun(path, table) : runtime === "deno" ? openDeno(path, table) : openNode(path, table);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function explain(tried: string[], errors: unknown[]): string {
  const t = target(), chosen = override();
  const lines = [`aspawn: cannot load libaspawn.so on ${runtime} (${t}).`];
  if (errors.some(noKoffi)) {
    // Every path failed the same way, before the library was opened at all.
    lines.push(
      "Node loads it through the koffi package, which cannot be found from here: install koffi beside your application " +
        "(npm install koffi), or, for a bundle, keep koffi external and ship node_modules/koffi with it.",
    );
    return lines.join("\n");
  }
  if (errors.some(noKoffiNative)) {
    lines.push(
      "Node loads it through koffi, whose native module is missing: koffi is there, but not the @koromix/koffi-* package " +
        "it takes its binary from; ship node_modules/@koromix with node_modules/koffi.",
    );
    return lines.join("\n");
  }
  if (chosen) {
    // The user's choice failed: that is the cause, not a missing prebuilt.
    lines.push(`ASPAWN_LIBRARY=${chosen} could not be loaded: ${message(errors[0])}`);
    lines.push(`Point ASPAWN_LIBRARY at a libaspawn.so built for ${t}, or unset it to use the prebuilt library.`);
    return lines.join("\n");
  }
  if (!(supportedTargets as readonly string[]).includes(t)) {
    lines.push(`aspawn supports ${supportedTargets.join(" and ")} only.`);
  }
  lines.push("Tried:");
  tried.forEach((p, i) => lines.push(`  ${p}: ${message(errors[i])}`));
  for (const p of passedOver) lines.push(`  ${p.text}`);
  if (runtime === "deno" && errors.some((e) => /NotCapable|PermissionDenied|--allow-/.test(`${(e as Error)?.name} ${message(e)}`))) {
    lines.push("Deno needs --allow-ffi (and --allow-env to honour ASPAWN_LIBRARY or ASPAWN_TRACE).");
  }
  lines.push(...hints(tried));
  lines.push(
    passedOver.some((p) => p.prebuilds) // there, in a directory others may write into
      ? "Run the bundle and its prebuilds/ from a directory only you may write into, or set ASPAWN_LIBRARY to the path of a libaspawn.so built for this platform."
      : "Bundled into an application? Copy the package's prebuilds/ next to the bundle, or set ASPAWN_LIBRARY to the path of a libaspawn.so built for this platform.",
  );
  return lines.join("\n");
}

/**
 * @internal What the paths tried tell of the cause, beyond their errors
 * (capabilities().reason repeats it).
 */
export function hints(tried: readonly string[]): string[] {
  const out: string[] = [];
  if (tried.some((p) => p.startsWith("/$bunfs/"))) {
    out.push(
      "A compiled Bun program loads its embedded library from a copy it writes to $TMPDIR (else /tmp): that directory must " +
        "exist, be writable and allow programs to run (not mounted noexec). Point TMPDIR at such a directory, or ASPAWN_LIBRARY at a libaspawn.so on disk.",
    );
  }
  return out;
}

/** Node's binding's package, koffi, not found (a bundle shipped without it). */
const noKoffi = (e: unknown) => {
  const code = (e as { code?: string } | null)?.code;
  return (code === "MODULE_NOT_FOUND" || code === "ERR_MODULE_NOT_FOUND") && /['"]koffi['"]/.test(message(e));
};

/** koffi found without its binary (a bundle shipped node_modules/koffi but not node_modules/@koromix). */
const noKoffiNative = (e: unknown) => /Cannot find the native Koffi module/.test(message(e));

export function loadNative(): Native {
  if (native) return native;
  const tried: string[] = [], errors: unknown[] = [];
  for (const path of candidates()) {
    tried.push(path);
    try {
      let lib = open(path);
      if (lib.asp_version() !== Abi.VERSION) throw new Error(`ABI version ${lib.asp_version()}, expected ${Abi.VERSION}`);
      if (env("ASPAWN_TRACE") === "1") lib = traced(lib, (line) => process.stderr.write(line));
      return (native = lib);
    } catch (e) {
      errors.push(e);
      // Out of fds, every later path fails alike; and resolving a package
      // then would leave Node's resolver believing it missing for good.
      if (outOfFds(e)) break;
    }
  }
  const error = new LibraryLoadError(explain(tried, errors));
  Object.defineProperty(error, "tried", { value: tried }); // for capabilities().reason, not for printing
  // Out of fds: not a missing library; the next call may well succeed.
  if (errors.length && outOfFds(errors.at(-1))) error.errno = EMFILE;
  throw error;
}

/** Names of every native function, for tests that check they all resolve. */
export const symbolNames = Object.keys(symbols) as (keyof typeof symbols)[];
