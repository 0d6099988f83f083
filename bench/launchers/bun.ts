/** Bun's own API: Bun.spawn with ReadableStream stdout. */
import { bun, type BunSubprocess } from "../globals.ts";
import { countBytes, type Launcher } from "./types.ts";

const TRUE_CMD = ["/bin/true"];
const TRUE_OPTS = { stdin: "ignore", stdout: "pipe", stderr: "inherit" } as const;
const IDLE_OPTS = { stdin: "ignore", stdout: "ignore", stderr: "ignore" } as const;

export function bunSpawn(): Launcher<BunSubprocess, BunSubprocess> {
  const b = bun!;
  return {
    name: "Bun.spawn",
    spawnTrue: () => b.spawn(TRUE_CMD, TRUE_OPTS),
    async reap(p) {
      await countBytes(p.stdout);
      await p.exited;
    },
    async readAll(file, args) {
      const p = b.spawn([file, ...args], TRUE_OPTS);
      const n = await countBytes(p.stdout);
      await p.exited;
      return n;
    },
    async capture(file, args) {
      const p = b.spawn([file, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
      const [out] = await Promise.all([p.stdout.text(), p.stderr.text(), p.exited]);
      return out;
    },
    startIdle: (file, args) => b.spawn([file, ...args], IDLE_OPTS),
    kill: (p) => p.kill(9),
    waitIdle: async (p) => void (await p.exited),
  };
}
