/**
 * aspawn/child_process: node:child_process over this library's spawn —
 * the same functions, options, events, streams and errors, with a spawn
 * that never blocks the event loop for the fork+exec.
 */
import { ChildProcess } from "./child-process.ts";
import { exec, execFile } from "./exec.ts";
import { fork } from "./fork.ts";
import { spawn } from "./spawn.ts";
import { execFileSync, execSync, spawnSync } from "./sync.ts";

export { ChildProcess, exec, execFile, execFileSync, execSync, fork, spawn, spawnSync };
export type { ExecCallback, ExecError } from "./exec.ts";
export type { SpawnSyncReturns } from "./sync.ts";
export type { SpawnOptions } from "./validate.ts";

const childProcess = { ChildProcess, exec, execFile, execFileSync, execSync, fork, spawn, spawnSync };
export default childProcess;
