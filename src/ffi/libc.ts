/**
 * Whether this process runs on glibc, which libaspawn.so is built for (it
 * links libc.so.6): on musl (Alpine) it cannot load.
 */
import { closeSync, openSync, readFileSync } from "node:fs";
import { platform, runtime } from "./runtime.ts";

/**
 * A /proc file's text, read through an fd of our own. Not readFileSync(path):
 * Bun's leaves its fd open when the fd is 0, 1 or 2 (a process that closed
 * its stdio), and a child given stdin "inherit" then read our memory map.
 */
function procText(path: string): string {
  const fd = openSync(path, "r");
  try {
    return readFileSync(fd, "latin1");
  } finally {
    closeSync(fd);
  }
}

/** Why the prebuilt library cannot run in this process, or undefined when it may. */
export function libcMismatch(): string | undefined {
  // Deno ships glibc builds only, and reading /proc would ask for --allow-read.
  if (platform() !== "linux" || runtime === "deno") return undefined;
  let maps: string;
  try {
    maps = procText("/proc/self/maps");
  } catch {
    return undefined; // no /proc: loading will tell
  }
  return libcOf(maps);
}

/** From /proc/self/maps: the runtime's own libc is mapped in every dynamically linked process. */
export function libcOf(maps: string): string | undefined {
  if (/\/libc(\.so\.6|-2\.\d+\.so)$/m.test(maps)) return undefined;
  return /\/ld-musl-|\/libc\.musl-/.test(maps)
    ? "this process runs on musl libc, and libaspawn.so is built for glibc"
    : "this process does not use glibc, which libaspawn.so is built for";
}
