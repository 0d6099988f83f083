/**
 * Which backend starts children in this JS context, chosen once, on first
 * use: the native library where it loads, else the portable backend over
 * the runtime's own API (src/portable/) — with the reason kept for
 * capabilities(). ASPAWN_BACKEND=native|portable forces the choice.
 */
import { libcMismatch } from "../ffi/libc.ts";
import { hints, LibraryLoadError, loadNative } from "../ffi/load.ts";
import { override, supportedTargets, target } from "../ffi/locate.ts";
import { denoWithoutFdSockets, env, runtime } from "../ffi/runtime.ts";
import type { Native } from "../ffi/symbols.ts";
import { portableBackend } from "../portable/index.ts";
import type { Backend } from "./child.ts";
import { nativeBackend } from "./native-backend.ts";

export interface BackendChoice {
  backend: Backend;
  /** Why the portable backend runs; undefined for the native one. */
  reason: string | undefined;
}

let chosen: BackendChoice | undefined;

const portable = (reason: string): BackendChoice => ({ backend: portableBackend(runtime, reason), reason });

function forced(): "native" | "portable" | undefined {
  const v = env("ASPAWN_BACKEND");
  if (v === undefined || v === "") return undefined;
  if (v === "native" || v === "portable") return v;
  throw new TypeError(`ASPAWN_BACKEND must be "native" or "portable", got ${JSON.stringify(v)}`);
}

/** Why the native library cannot serve here, before trying to load it. */
function unavailable(): string | undefined {
  if (override()) return undefined; // the user's library: loading it decides
  const t = target();
  if (!(supportedTargets as readonly string[]).includes(t)) {
    return `no libaspawn.so is built for ${t} (only ${supportedTargets.join(", ")})`;
  }
  return denoWithoutFdSockets() ?? libcMismatch();
}

function choose(): BackendChoice | undefined {
  const force = forced();
  if (force === "portable") return portable("ASPAWN_BACKEND=portable");
  const why = force === "native" ? undefined : unavailable();
  if (why) return portable(why);
  try {
    loadNative();
  } catch (e) {
    // The user's own library or the forced backend failing is their error to
    // see; out of fds is not a verdict on the platform (asked again later,
    // nativeBackend.start() reports it as SpawnError EMFILE).
    if (!(e instanceof LibraryLoadError) || e.errno !== undefined) return undefined;
    if (force === "native" || override()) throw e;
    // The message's "Tried:" lines: each path and why it failed (or, with
    // none, the one cause that stopped them all: koffi missing).
    const lines = e.message.split("\n");
    const tried = lines.filter((l) => l.startsWith("  ")).map((l) => l.trim());
    const more = hints(e.tried ?? []).map((h) => ` ${h}`).join("");
    return portable(`libaspawn.so could not be loaded (${tried.length ? tried.join("; ") : lines.slice(1).join(" ")})${more}`);
  }
  return { backend: nativeBackend, reason: undefined };
}

/** The backend of this context (and why it is the portable one). */
export function backendChoice(): BackendChoice {
  if (chosen) return chosen;
  const c = choose();
  if (c) chosen = c;
  return c ?? { backend: nativeBackend, reason: undefined };
}

export function backend(): Backend {
  return (chosen ?? backendChoice()).backend;
}

/** What libraryBeside() found beside the portable backend, once. */
let beside: { native: Native | undefined } | undefined;

/**
 * The library for what only it does besides starting children (a worker's
 * channel and the fds it passes), or undefined where the portable backend
 * runs because the library cannot load or serve here. Loaded with the
 * native backend; under ASPAWN_BACKEND=portable, which never tried it,
 * wherever it loads (a library that does not, ASPAWN_LIBRARY's too, is
 * none: spawning there never needed it either).
 */
export function libraryBeside(): Native | undefined {
  const { reason } = backendChoice();
  if (reason === undefined) return loadNative();
  if (beside) return beside.native;
  if (forced() !== "portable" || unavailable() !== undefined) return (beside = { native: undefined }).native;
  try {
    return (beside = { native: loadNative() }).native;
  } catch (e) {
    // Out of fds says nothing about the library: asked again next time.
    if (!(e instanceof LibraryLoadError) || e.errno !== undefined) throw e;
    return (beside = { native: undefined }).native;
  }
}
