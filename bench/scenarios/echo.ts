/**
 * (4b) `echo hello` captured as a string, start to string in hand:
 * aspawn run() against execFile / Bun.spawn + text() / Deno.Command.output(),
 * alternating. /bin/echo by path, as bench/c spawns /bin/true by path.
 */
import type { Config } from "../config.ts";
import type { Launcher } from "../launchers/index.ts";
import { progress } from "../progress.ts";
import type { Pair } from "../results.ts";
import { type Latency, latency, rotate } from "../stats.ts";

export const ECHO = ["/bin/echo", "hello"] as const;
const WARMUP = 10;

export async function echo(pair: Launcher[], cfg: Config): Promise<Pair<Latency>> {
  const [file, ...args] = ECHO;
  const samples: number[][] = pair.map(() => []);
  progress(`echo hello: ${cfg.echoSamples} captures each`, true);
  for (let i = -WARMUP; i < cfg.echoSamples; i++) {
    for (const j of rotate([0, 1], i + WARMUP)) {
      const t0 = performance.now();
      const out = await pair[j]!.capture(file, args);
      const ms = performance.now() - t0;
      if (out !== "hello\n") throw new Error(`${pair[j]!.name} captured ${JSON.stringify(out)}`);
      if (i >= 0) samples[j]!.push(ms);
    }
    progress(`echo hello: ${i + 1}/${cfg.echoSamples}`);
  }
  return { aspawn: latency(samples[0]!), native: latency(samples[1]!) };
}
