/**
 * Bun only (package.json "imports" → "#prebuilt"): the prebuilt libraries
 * as file imports. Run from source they are their paths on disk; in a
 * `bun build --compile` binary Bun embeds them and dlopen reads them from
 * its /$bunfs; in a `bun build` bundle they are assets next to it.
 */
import arm64 from "../../prebuilds/linux-arm64/libaspawn.so" with { type: "file" };
import x64 from "../../prebuilds/linux-x64/libaspawn.so" with { type: "file" };

export const prebuilt: Readonly<Record<string, string>> | undefined = { "linux-x64": x64, "linux-arm64": arm64 };
