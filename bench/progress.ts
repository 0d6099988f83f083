/**
 * One progress line on stderr, rewritten in place on a terminal; when
 * stderr is a file or pipe only the phase changes are written, one a line.
 */
import process from "node:process";
import { runtime } from "./env.ts";

const tty = Boolean(process.stderr.isTTY);
let last = 0;

export function progress(message: string, phaseChange = false): void {
  const now = performance.now();
  if (!phaseChange && (!tty || now - last < 100)) return;
  last = now;
  const line = `[${runtime}] ${message}`;
  process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
}

/** Clears the line before the table is printed. */
export function progressDone(): void {
  if (tty) process.stderr.write("\r\x1b[K");
}
