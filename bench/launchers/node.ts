/** Node's own API: node:child_process (spawn, execFile). */
import { type ChildProcess, execFile, spawn, type StdioOptions } from "node:child_process";
import type { Launcher } from "./types.ts";

const NO_ARGS: string[] = [];
const TRUE_STDIO: StdioOptions = ["ignore", "pipe", "inherit"];

/** 'close' comes after the exit and the end of every stdio stream. */
function closed(c: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    c.once("close", () => resolve());
    c.once("error", reject);
  });
}

export const childProcess: Launcher<ChildProcess, ChildProcess> = {
  name: "child_process",
  spawnTrue: () => spawn("/bin/true", NO_ARGS, { stdio: TRUE_STDIO }),
  reap(c) {
    c.stdout!.resume(); // read to EOF, as the other launchers do
    return closed(c);
  },
  async readAll(file, args) {
    const c = spawn(file, args, { stdio: TRUE_STDIO });
    let n = 0;
    c.stdout!.on("data", (d: Buffer) => (n += d.length));
    await closed(c);
    return n;
  },
  capture: (file, args) =>
    new Promise((resolve, reject) => execFile(file, args, (e, stdout) => (e ? reject(e) : resolve(stdout)))),
  startIdle: (file, args) => spawn(file, args, { stdio: "ignore" }),
  kill: (c) => void c.kill("SIGKILL"),
  waitIdle(c) {
    if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => c.once("exit", () => resolve()));
  },
};
