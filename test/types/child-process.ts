// Type-level tests: `tsc -p .` checks this file; nothing runs it.
// aspawn/child_process has every type name Node's module has: code that
// names one compiles the same with either import.
import type * as Node from "node:child_process";
import * as Ours from "../../src/child_process/index.ts";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const expect = <T extends true>(_: T) => {};
void expect;

// Each name Node's module exports as a type (was TS2614 for ten of them).
export type Names = [
  Ours.ChildProcessByStdio<null, null, null>, Ours.ChildProcessWithoutNullStreams, Ours.CommonExecOptions,
  Ours.CommonOptions, Ours.CommonSpawnOptions, Ours.Control, Ours.ExecException, Ours.ExecFileException,
  Ours.ExecFileOptions, Ours.ExecFileOptionsWithBufferEncoding, Ours.ExecFileOptionsWithOtherEncoding,
  Ours.ExecFileOptionsWithStringEncoding, Ours.ExecFileSyncOptions, Ours.ExecFileSyncOptionsWithBufferEncoding,
  Ours.ExecFileSyncOptionsWithStringEncoding, Ours.ExecOptions, Ours.ExecOptionsWithBufferEncoding,
  Ours.ExecOptionsWithStringEncoding, Ours.ExecSyncOptions, Ours.ExecSyncOptionsWithBufferEncoding,
  Ours.ExecSyncOptionsWithStringEncoding, Ours.ForkOptions, Ours.IOType, Ours.MessageOptions, Ours.MessagingOptions,
  Ours.ProcessEnvOptions, Ours.PromiseWithChild<number>, Ours.SendHandle, Ours.Serializable, Ours.SerializationType,
  Ours.SpawnOptions, Ours.SpawnOptionsWithStdioTuple<Ours.StdioPipe, Ours.StdioNull, Ours.StdioNull>,
  Ours.SpawnOptionsWithoutStdio, Ours.SpawnSyncOptions, Ours.SpawnSyncOptionsWithBufferEncoding,
  Ours.SpawnSyncOptionsWithStringEncoding, Ours.SpawnSyncReturns<string>, Ours.StdioNull, Ours.StdioOptions,
  Ours.StdioPipe, Ours.StdioPipeNamed,
];

export function checks() {
  // The same types, not look-alikes: a value typed by one is the other.
  expect<Equal<Ours.ChildProcessWithoutNullStreams, Node.ChildProcessWithoutNullStreams>>(true);
  expect<Equal<Ours.ExecSyncOptions, Node.ExecSyncOptions>>(true);
  const c: Ours.ChildProcessWithoutNullStreams = Ours.spawn("ls", ["-l"]);
  const p: Ours.PromiseWithChild<{ stdout: string; stderr: string }> | undefined = undefined;
  return [c, p];
}
