/**
 * fork(): a Node program (process.execPath, or `execPath`) with `execArgv`
 * (on Deno, as Deno starts itself: deno-args.ts) and an IPC channel on the
 * "ipc" stdio entry (fd 3 by default), which the child finds through
 * NODE_CHANNEL_FD (ipc.ts).
 */
import { fileURLToPath } from "node:url";
import { backendChoice } from "../api/backend.ts";
import { runtime } from "../ffi/runtime.ts";
import type { ChildProcess } from "./child-process.ts";
import { denoForkArgs } from "./deno-args.ts";
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
  // Said here, not as the spawn's refusal of a "stdio[3]" the caller never wrote.
  const { reason } = backendChoice();
  if (reason !== undefined && runtime === "deno") {
    throw new TypeError(`fork() needs the native backend on deno: its IPC channel is an extra fd, which the portable backend cannot pass to a child here (it runs because ${reason})`);
  }
  const o = ownOptions((options ?? undefined) as Record<string, unknown> | undefined, { shell: false });
  o.execPath = o.execPath || process.execPath;
  nullCheck(o.execPath, "options.execPath");
  // As Node: any truthy execArgv, indexed and spread (a string gives its characters).
  const given = (o.execArgv || process.execArgv) as ArrayLike<string>;
  for (let i = 0; i < given.length; i++) nullCheck(given[i], `options.execArgv[${i}]`);
  const execArgv = [...given as unknown as Iterable<string>];
  if (typeof o.stdio === "string") {
    if (!["pipe", "inherit", "ignore"].includes(o.stdio)) throw invalidArgValue("stdio", o.stdio);
    o.stdio = [o.stdio, o.stdio, o.stdio, "ipc"];
  }
  else if (!Array.isArray(o.stdio)) o.stdio = o.silent ? ["pipe", "pipe", "pipe", "ipc"] : [0, 1, 2, "ipc"];
  else if (!o.stdio.includes("ipc")) {
    throw nodeError(Error, "ERR_CHILD_PROCESS_IPC_REQUIRED", "Forked processes must have an IPC channel, missing value 'ipc' in options.stdio");
  }
  // Deno runs Deno's way (deno-args.ts); another program (a Node) as Node runs it.
  const own = runtime === "deno" && o.execPath === process.execPath;
  return spawn(o.execPath as string, own ? denoForkArgs(execArgv, path, argv) : [...execArgv, path, ...argv], o);
}
