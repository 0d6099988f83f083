/**
 * Where libaspawn.so may be: $ASPAWN_LIBRARY, else the prebuilt for this
 * platform relative to this module — from src/ffi/ (source, Bun, Deno) or
 * from dist/ (the bundled JavaScript).
 */
import { arch, env, platform } from "./runtime.ts";

export const supportedTargets = ["linux-x64", "linux-arm64"] as const;

export function target(): string {
  return `${platform()}-${arch()}`;
}

export function candidates(): string[] {
  const override = env("ASPAWN_LIBRARY");
  if (override) return [override];
  const rel = `prebuilds/${target()}/libaspawn.so`;
  return [`../../${rel}`, `../${rel}`].map((p) => decodeURIComponent(new URL(p, import.meta.url).pathname));
}
