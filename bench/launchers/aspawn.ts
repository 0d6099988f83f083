/** This library, through its public API only. */
import { run, spawn, type Subprocess } from "../../src/index.ts";
import { countBytes, type Launcher } from "./types.ts";

const NO_ARGS: string[] = [];
const TRUE_OPTS = { stdin: "ignore", stdout: "pipe", stderr: "inherit" } as const;
const IDLE_OPTS = { stdin: "ignore", stdout: "ignore", stderr: "ignore" } as const;

export const aspawn: Launcher<Subprocess, Subprocess> = {
  name: "aspawn",
  spawnTrue: () => spawn("/bin/true", NO_ARGS, TRUE_OPTS),
  spawnTrueWith: (args, env) => spawn("/bin/true", args, env ? { ...TRUE_OPTS, env } : TRUE_OPTS),
  async reap(p) {
    // An unread stdout pipe stays open until read to EOF (or collected).
    await countBytes(p.stdout!);
    await p.exited;
  },
  async readAll(file, args) {
    const p = spawn(file, args, TRUE_OPTS);
    const n = await countBytes(p.stdout!);
    await p.exited;
    return n;
  },
  capture: async (file, args) => (await run(file, args)).stdout,
  startIdle: (file, args) => spawn(file, args, IDLE_OPTS),
  kill: (p) => void p.kill("SIGKILL"),
  waitIdle: async (p) => void (await p.exited),
};
