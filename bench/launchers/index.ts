/** The pair every scenario compares: aspawn and the API of the runtime we run on. */
import { runtime } from "../env.ts";
import { aspawn } from "./aspawn.ts";
import type { Launcher } from "./types.ts";

export type { Launcher } from "./types.ts";

async function native(): Promise<Launcher> {
  if (runtime === "bun") return (await import("./bun.ts")).bunSpawn();
  if (runtime === "deno") return (await import("./deno.ts")).denoCommand();
  return (await import("./node.ts")).childProcess;
}

/** [aspawn, native]: the order of the pair in every result. */
export async function launchers(): Promise<[Launcher, Launcher]> {
  return [aspawn, await native()];
}
