/**
 * (4b) `echo hello` captured as a string, start to string in hand:
 * aspawn run() against execFile / Bun.spawn + text() / Deno.Command.output(),
 * and the C floor (bench/c/echo_capture.c: vfork + execve, stdout through a
 * pipe, waitpid) in this process through the FFI when libbench-floor.so is
 * built, taking turns. /bin/echo by path, as bench/c spawns /bin/true by
 * path. The floor blocks the event loop for its call (a C program would).
 * The C wake floor (bench/c/wake_floor.c) takes its turn too: C does the
 * work, and this thread waits for it through the runtime's loop, woken once.
 */
import type { Config } from "../config.ts";
import { echoFloor, wakeFloor } from "../ffi/floors.ts";
import type { Launcher } from "../launchers/index.ts";
import { progress } from "../progress.ts";
import type { Pair } from "../results.ts";
import { type Latency, latency, rotate } from "../stats.ts";

export const ECHO = ["/bin/echo", "hello"] as const;
const WARMUP = 10;

type Capture = () => Promise<string> | string;

function floorCapture(): Capture | null {
  try {
    return echoFloor();
  } catch (e) {
    progress(`echo hello: no in-process C floor (${(e as Error).message})`, true);
    return null;
  }
}

function wakeCapture(): { capture: Capture; close(): void } | null {
  try {
    const w = wakeFloor();
    return { capture: () => w.spawn(true).then(() => "hello\n"), close: () => w.close() }; // checked in C
  } catch (e) {
    progress(`echo hello: no C wake floor (${(e as Error).message})`, true);
    return null;
  }
}

export async function echo(pair: Launcher[], cfg: Config): Promise<Pair<Latency> & { floor?: Latency; wake?: Latency }> {
  const [file, ...args] = ECHO;
  const floor = floorCapture(), wake = floor && wakeCapture();
  const sides: Capture[] = [...pair.map((l) => () => l.capture(file, args)), ...(floor ? [floor] : []), ...(wake ? [wake.capture] : [])];
  const samples: number[][] = sides.map(() => []);
  const order = sides.map((_, j) => j);
  progress(`echo hello: ${cfg.echoSamples} captures each`, true);
  for (let i = -WARMUP; i < cfg.echoSamples; i++) {
    for (const j of rotate(order, i + WARMUP)) {
      const t0 = performance.now();
      const out = await sides[j]!();
      const ms = performance.now() - t0;
      if (out !== "hello\n") throw new Error(`${j < pair.length ? pair[j]!.name : "a C floor"} captured ${JSON.stringify(out)}`);
      if (i >= 0) samples[j]!.push(ms);
    }
    progress(`echo hello: ${i + 1}/${cfg.echoSamples}`);
  }
  wake?.close();
  return {
    aspawn: latency(samples[0]!),
    native: latency(samples[1]!),
    ...(floor && { floor: latency(samples[2]!) }),
    ...(wake && { wake: latency(samples[3]!) }),
  };
}
