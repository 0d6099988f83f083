/**
 * aspawn/child_process: node:child_process over this library's spawn —
 * the same functions, options, events, streams and errors, with a spawn
 * that never blocks the event loop for the fork+exec. Typed as Node's own
 * module (@types/node), so that swapping the import changes no types.
 */
import type * as NodeChildProcess from "node:child_process";
import { ChildProcess as ChildProcessImpl } from "./child-process.ts";
import { exec as execImpl, execFile as execFileImpl } from "./exec.ts";
import { fork as forkImpl } from "./fork.ts";
import { spawn as spawnImpl } from "./spawn.ts";
import { execFileSync as execFileSyncImpl, execSync as execSyncImpl, spawnSync as spawnSyncImpl } from "./sync.ts";

export type ChildProcess = NodeChildProcess.ChildProcess;
export const ChildProcess = ChildProcessImpl as unknown as typeof NodeChildProcess.ChildProcess;
export const spawn = spawnImpl as unknown as typeof NodeChildProcess.spawn;
export const exec = execImpl as unknown as typeof NodeChildProcess.exec;
export const execFile = execFileImpl as unknown as typeof NodeChildProcess.execFile;
export const fork = forkImpl as unknown as typeof NodeChildProcess.fork;
export const spawnSync = spawnSyncImpl as unknown as typeof NodeChildProcess.spawnSync;
export const execSync = execSyncImpl as unknown as typeof NodeChildProcess.execSync;
export const execFileSync = execFileSyncImpl as unknown as typeof NodeChildProcess.execFileSync;
// Every type name Node's module has (@types/node), so that code naming one
// compiles the same with either import.
export type {
  ChildProcessByStdio, ChildProcessWithoutNullStreams, CommonExecOptions, CommonOptions, CommonSpawnOptions, Control,
  ExecException, ExecFileException, ExecFileOptions, ExecFileOptionsWithBufferEncoding, ExecFileOptionsWithOtherEncoding,
  ExecFileOptionsWithStringEncoding, ExecFileSyncOptions, ExecFileSyncOptionsWithBufferEncoding,
  ExecFileSyncOptionsWithStringEncoding, ExecOptions, ExecOptionsWithBufferEncoding, ExecOptionsWithStringEncoding,
  ExecSyncOptions, ExecSyncOptionsWithBufferEncoding, ExecSyncOptionsWithStringEncoding, ForkOptions, IOType,
  MessageOptions, MessagingOptions, ProcessEnvOptions, PromiseWithChild, SendHandle, Serializable, SerializationType,
  SpawnOptions, SpawnOptionsWithStdioTuple, SpawnOptionsWithoutStdio, SpawnSyncOptions, SpawnSyncOptionsWithBufferEncoding,
  SpawnSyncOptionsWithStringEncoding, SpawnSyncReturns, StdioNull, StdioOptions, StdioPipe, StdioPipeNamed,
} from "node:child_process";

const childProcess = { ChildProcess, exec, execFile, execFileSync, execSync, fork, spawn, spawnSync };
export default childProcess;
