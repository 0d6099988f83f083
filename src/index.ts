/**
 * aspawn: spawn child processes in microseconds from Bun, Deno and Node,
 * and prepare them before exec in ways no runtime offers.
 */
export { spawn } from "./api/spawn.ts";
export { run, type RunResult } from "./api/run.ts";
export { runSync } from "./api/run-sync.ts";
export { Subprocess } from "./api/subprocess.ts";
export type { Pty, PtyOptions } from "./api/pty.ts";
export type { ExitStatus } from "./api/exit-status.ts";
export { ExitError, SpawnError, type OsError } from "./api/errors.ts";
export { StreamError } from "./api/pump.ts";
export type { ExtraFdOption, Options, RlimitName, RlimitValue, RunOptions, StdioOption } from "./api/options.ts";
export { type Signal, signalName, signalNumber } from "./api/signals.ts";
export { $, Command, type Dollar, type DollarOptions, type PipeStage, type TemplateValue } from "./api/dollar.ts";
export { capabilities, type Capabilities } from "./api/capabilities.ts";
export { LibraryLoadError } from "./ffi/load.ts";
export { Pipeline, pipeline, PipelineError, type PipelineOptions, type Stage } from "./api/pipeline.ts";
export { Batch, BatchError, type BatchOptions, type Job, map, runAll, type Settled } from "./api/batch.ts";
export type { KillOptions } from "./api/subprocess.ts";
export type { InputChunk, InputSource, NodeWritableLike, OutputSink, StdinOption, StdoutOption } from "./api/options.ts";
export type { ChildFdOption, FileOption } from "./api/files.ts";
export type { ExtraPipe } from "./api/extra-pipes.ts";
export { Worker, worker, type WorkerOptions } from "./worker/worker.ts";
export { WorkerError } from "./worker/worker-error.ts";
export { Pool, pool, type PoolOptions } from "./worker/pool.ts";
export type { CallOptions } from "./worker/call-options.ts";
export { closeFd, serverFromFd, socketFromFd } from "./worker/net-fd.ts";
export type { FdSocket } from "./worker/fd-socket.ts";
export { CodecError } from "./worker/codec.ts";
export type { Parent } from "./worker/child.ts";
