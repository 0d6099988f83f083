/**
 * fork(): a Node program (process.execPath, or `execPath`) with `execArgv`
 * and an IPC channel on the "ipc" stdio entry (fd 3 by default), which the
 * child finds through NODE_CHANNEL_FD (ipc.ts).
 */
import { fileURLToPath } from "node:url";
import type { ChildProcess } from "./child-process.ts";
import { invalidArgType, invalidArgValue, nodeError } from "./node-errors.ts";
import { spawn } from "./spawn.ts";
import { nullCheck, ownOptions, validatedPath, validateObject } from "./validate.ts";

export function fork(modulePath: string | URL, args?: unknown, options?: unknown): ChildProcess {
  const path = modulePath instanceof URL ? fileURLToPath(modulePath) : validatedPath(modulePath, "modulePath");
  let argv: string[];
  if (args == null) argv = [];
  else if (typeof args === "object" && !Array.isArray(args)) {
    options = args;
    argv = [];
  } else if (!Array.isArray(args)) throw invalidArgType("args", "Array", args);
  else argv = args as string[];
  if (options != null) validateObject(options, "options");
  const o = Object.assign(ownOptions(options as Record<string, unknown>), { shell: false });
  o.execPath = o.execPath || process.execPath;
  nullCheck(o.execPath, "options.execPath");
  const execArgv = (o.execArgv as string[] | undefined) ?? process.execArgv;
  execArgv.forEach((a, i) => nullCheck(a, `options.execArgv[${i}]`));
  if (typeof o.stdio === "string") {
    if (!["pipe", "inherit", "ignore"].includes(o.stdio)) throw invalidArgValue("stdio", o.stdio);
    o.stdio = [o.stdio, o.stdio, o.stdio, "ipc"];
  }
  else if (!Array.isArray(o.stdio)) o.stdio = o.silent ? ["pipe", "pipe", "pipe", "ipc"] : [0, 1, 2, "ipc"];
  else if (!o.stdio.includes("ipc")) {
    throw nodeError(Error, "ERR_CHILD_PROCESS_IPC_REQUIRED", "Forked processes must have an IPC channel, missing value 'ipc' in options.stdio");
  }
  return spawn(o.execPath as string, [...execArgv, path, ...argv], o);
}
