/** Deno's own API: Deno.Command (spawn() with ReadableStream stdout, output()). */
import { deno, type DenoChild } from "../globals.ts";
import { countBytes, type Launcher } from "./types.ts";

export function denoCommand(): Launcher<DenoChild, DenoChild> {
  const Command = deno!.Command;
  // A Command can spawn many times: building it once keeps its
  // construction out of the timed call, in Deno's favour.
  const TRUE = new Command("/bin/true", { stdin: "null", stdout: "piped", stderr: "inherit" });
  const decoder = new TextDecoder();
  return {
    name: "Deno.Command",
    spawnTrue: () => TRUE.spawn(),
    async reap(c) {
      await countBytes(c.stdout);
      await c.status;
    },
    async readAll(file, args) {
      const c = new Command(file, { args, stdin: "null", stdout: "piped", stderr: "inherit" }).spawn();
      const n = await countBytes(c.stdout);
      await c.status;
      return n;
    },
    async capture(file, args) {
      const o = await new Command(file, { args, stdin: "null", stdout: "piped", stderr: "piped" }).output();
      return decoder.decode(o.stdout);
    },
    startIdle: (file, args) => new Command(file, { args, stdin: "null", stdout: "null", stderr: "null" }).spawn(),
    kill: (c) => c.kill("SIGKILL"),
    waitIdle: async (c) => void (await c.status),
  };
}
