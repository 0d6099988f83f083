/**
 * The few Bun and Deno globals the harness touches, typed by hand: the
 * project compiles against @types/node only, and `declare const` would
 * clash with src/ffi/runtime.ts in one program.
 */

export interface BunSubprocess {
  readonly pid: number;
  readonly exited: Promise<number>;
  readonly stdout: ReadableStream<Uint8Array> & { text(): Promise<string> };
  readonly stderr: ReadableStream<Uint8Array> & { text(): Promise<string> };
  kill(signal?: number | string): void;
}

export interface BunLike {
  readonly version: string;
  gc(force: boolean): void;
  spawnSync(cmd: string[], options: { stdout?: "pipe"; stderr?: "pipe" }): { exitCode: number; stdout: Uint8Array };
  spawn(cmd: string[], options: {
    stdin?: "ignore" | "pipe" | "inherit";
    stdout?: "ignore" | "pipe" | "inherit";
    stderr?: "ignore" | "pipe" | "inherit";
  }): BunSubprocess;
}

export interface DenoChild {
  readonly pid: number;
  readonly status: Promise<{ success: boolean; code: number; signal: string | null }>;
  readonly stdout: ReadableStream<Uint8Array>;
  kill(signal?: string): void;
}

export interface DenoCommand {
  spawn(): DenoChild;
  output(): Promise<{ code: number; stdout: Uint8Array; stderr: Uint8Array }>;
  outputSync(): { code: number; stdout: Uint8Array; stderr: Uint8Array };
}

type DenoStdio = "null" | "piped" | "inherit";

export interface DenoLike {
  readonly version: { deno: string };
  readonly args: string[];
  Command: new (file: string, options: {
    args?: string[];
    stdin?: DenoStdio;
    stdout?: DenoStdio;
    stderr?: DenoStdio;
  }) => DenoCommand;
  addSignalListener(signal: string, handler: () => void): void;
  removeSignalListener(signal: string, handler: () => void): void;
}

export const bun = (globalThis as { Bun?: BunLike }).Bun;
export const deno = (globalThis as { Deno?: DenoLike }).Deno;
