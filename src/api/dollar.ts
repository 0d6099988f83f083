/**
 * `$`: commands written as tagged templates, run as run() runs them.
 *
 *   const branch = await $`git branch --show-current`.text();
 *   await $({ cwd: repo })`git log --format=%an ${range}`.pipe($`sort`).lines();
 *
 * No shell is involved: template.ts turns the template into argv words and
 * every interpolated value stays one argument. A Command starts in a
 * microtask (or when awaited), so `.nothrow()`, `.quiet()` and `.pipe()`
 * chained in the same expression take effect first.
 */
import { describe } from "./check.ts";
import { type ChainStage, runChain } from "./chain.ts";
import { parseOutput } from "./errors.ts";
import type { RunOptions } from "./options.ts";
import { type RunResult, runWith } from "./run.ts";
import { type TemplateValue, templateWords } from "./template.ts";
import { ownOptions } from "./own-options.ts";
import { outputDecoder } from "./text.ts";

export type { TemplateValue } from "./template.ts";

/** Options `$` binds: run()'s, less `shell` (a `$` command is never parsed by a shell). */
export type DollarOptions = Omit<RunOptions, "shell">;

/**
 * A pipeline() stage given to pipe(): as the last stage its options say how
 * the output is collected (`encoding`, `maxBuffer`, `all`), as run()'s do.
 */
export type PipeStage = readonly [file: string, args?: readonly string[], options?: RunOptions];

export interface Dollar<T extends string | Uint8Array = string> {
  /** The command: literal words and interpolated values, each value one argument. */
  (strings: TemplateStringsArray, ...values: readonly TemplateValue[]): Command<T>;
  /** A `$` with these options bound (merged over the ones already bound; `env` merged too). */
  (options: DollarOptions & { encoding: "buffer" }): Dollar<Uint8Array>;
  (options: DollarOptions & { encoding: "utf8" }): Dollar<string>;
  (options: DollarOptions & { encoding: "utf8" | "buffer" }): Dollar<string | Uint8Array>;
  (options: DollarOptions): Dollar<T>;
}

const decoder = outputDecoder();
const asText = (v: string | Uint8Array) => (typeof v === "string" ? v : decoder.decode(v));

/** "inherit" shows the output; quiet() captures it instead. */
const captured = <V>(v: V): V | "pipe" => (v === "inherit" ? "pipe" : v);

function quietOptions(o: RunOptions): RunOptions {
  const stdio = Array.isArray(o.stdio) ? o.stdio.map((v, fd) => (fd === 1 || fd === 2 ? captured(v) : v)) : o.stdio;
  // The shorthand ("inherit") fills in stdout and stderr: captured too.
  const short = typeof o.stdio === "string" ? o.stdio : undefined;
  const stdout = captured(o.stdout ?? short) as RunOptions["stdout"];
  return ownOptions(o, { stdout, stderr: captured(o.stderr ?? short) as RunOptions["stderr"], stdio });
}

type State = "new" | "started" | "piped" | "refused";

/**
 * A command of `$`: awaiting it resolves like run() with a RunResult and
 * rejects with ExitError (SpawnError if it never ran).
 */
export class Command<T extends string | Uint8Array = string> implements PromiseLike<RunResult<T>> {
  #stages: ChainStage[];
  #state: State = "new";
  #result: Promise<RunResult<T>> | undefined;

  /** @internal Through `$` and pipe(). */
  constructor(stages: ChainStage[]) {
    this.#stages = stages;
    queueMicrotask(() => {
      if (this.#state === "new") this.#start();
    });
  }

  #start(): Promise<RunResult<T>> {
    if (this.#state === "piped") {
      return Promise.reject(new TypeError("$: this command was piped into another; await what pipe() returned"));
    }
    if (this.#state === "refused") return Promise.reject(new TypeError("$: this command's pipe() was refused (a TypeError); it never runs"));
    this.#state = "started";
    if (this.#result) return this.#result;
    const s = this.#stages;
    const run = s.length === 1 ? runWith(s[0]!.file, s[0]!.args, s[0]!.options) : runChain(s);
    return (this.#result = run as Promise<RunResult<T>>);
  }

  #modify(what: string): void {
    if (this.#state !== "new") {
      throw new TypeError(
        `$: ${what}() after the command ${this.#state === "started" ? "started" : this.#state === "piped" ? "was piped" : "was refused"}: chain it right after the template`,
      );
    }
  }

  then<A = RunResult<T>, B = never>(
    onfulfilled?: ((value: RunResult<T>) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: any) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#start().then(onfulfilled, onrejected);
  }

  catch<B = never>(onrejected?: ((reason: any) => B | PromiseLike<B>) | null): Promise<RunResult<T> | B> {
    return this.#start().catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<RunResult<T>> {
    return this.#start().finally(onfinally);
  }

  /** stdout as text without its final newline ("\n" or "\r\n"), as `$(...)` in a shell gives it. */
  async text(): Promise<string> {
    const out = asText((await this).stdout);
    return out.endsWith("\r\n") ? out.slice(0, -2) : out.endsWith("\n") ? out.slice(0, -1) : out;
  }

  /** stdout's lines ("\n" or "\r\n"; a last line without one counts), once the command succeeded. */
  async lines(): Promise<string[]> {
    const out = asText((await this).stdout);
    if (out === "") return [];
    const lines = out.split(/\r?\n/);
    if (lines[lines.length - 1] === "") lines.pop();
    return lines;
  }

  /** stdout parsed as JSON. */
  async json<U = unknown>(): Promise<U> {
    const r = await this;
    return parseOutput<U>(asText(r.stdout), r.command);
  }

  /** Resolve with the result whatever the exit (`reject: false` on every stage). */
  nothrow(): this {
    this.#modify("nothrow");
    for (const s of this.#stages) s.options = ownOptions(s.options, { reject: false });
    return this;
  }

  /**
   * Capture what would be shown: stdout and stderr set to "inherit" (by
   * bound options) become "pipe". Output is captured by default, so this
   * only undoes such options; it exists for code written for zx, dax or Bun.
   */
  quiet(): this {
    this.#modify("quiet");
    for (const s of this.#stages) s.options = quietOptions(s.options);
    return this;
  }

  /**
   * This command's stdout into `next`'s stdin through a kernel pipe (no
   * byte passes through JavaScript): a new Command of every stage, judged
   * as `set -o pipefail` judges. `next` is another `$` command or a
   * pipeline() stage `[file, args?, options?]`. Neither may be used alone
   * afterwards.
   */
  pipe<U extends string | Uint8Array>(next: Command<U>): Command<U>;
  pipe(next: readonly [file: string, args: readonly string[] | undefined, options: RunOptions & { encoding: "buffer" }]): Command<Uint8Array>;
  pipe(next: PipeStage): Command<string>;
  pipe(next: Command<string | Uint8Array> | PipeStage): Command<string | Uint8Array> {
    this.#modify("pipe");
    let tail: ChainStage[];
    try {
      if (next instanceof Command) {
        if (next === this) throw new TypeError("$: pipe() of a command into itself");
        next.#modify("pipe");
        tail = next.#stages;
        next.#state = "piped";
      } else {
        tail = [stageOf(next)];
      }
    } catch (e) {
      // The caller catches this TypeError: nothing of the refused link may run meanwhile.
      this.#state = "refused";
      if (next instanceof Command && next.#state === "new") next.#state = "refused";
      throw e;
    }
    this.#state = "piped";
    return new Command([...this.#stages, ...tail]);
  }
}

/** A pipeline() stage given to pipe(), checked before anything starts. */
function stageOf(next: unknown): ChainStage {
  if (!Array.isArray(next)) throw new TypeError("$: pipe() takes a $ command or a pipeline stage [file, args?, options?]");
  const [file, args = [], options = {}] = next as [unknown, unknown?, unknown?];
  if (typeof file !== "string" || file === "") throw new TypeError(`$: pipe() stage: file must be a non-empty string, got ${describe(file)}`);
  if (!Array.isArray(args)) throw new TypeError(`$: pipe() stage: args must be an array of strings, got ${describe(args)}`);
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`$: pipe() stage: options must be an object, got ${describe(options)}`);
  }
  return { file, args: args as string[], options: options as RunOptions };
}

function bindOptions(bound: RunOptions, o: unknown): RunOptions {
  if (typeof o !== "object" || o === null || Array.isArray(o)) {
    throw new TypeError("$ takes a template or an options object");
  }
  if (Object.hasOwn(o, "shell")) throw new TypeError("shell is not an option of $: its words are never parsed by a shell (use run() with shell)");
  const merged: RunOptions = ownOptions(bound, o as RunOptions);
  const env = (o as RunOptions).env;
  if (bound.env !== undefined && env !== undefined) merged.env = { ...bound.env, ...env };
  return merged;
}

const isTemplate = (v: unknown): v is TemplateStringsArray => Array.isArray(v) && Array.isArray((v as { raw?: unknown }).raw);

/** Frozen: zx's `$.cwd = dir` and `$.verbose = true` are a TypeError, not ignored (options go in `$(options)`). */
function dollar(bound: RunOptions): Dollar<any> {
  return Object.freeze(function $(first: TemplateStringsArray | DollarOptions, ...values: readonly unknown[]): any {
    if (isTemplate(first)) {
      const [file, ...args] = templateWords(first, values);
      return new Command([{ file: file!, args, options: bound }]);
    }
    return dollar(bindOptions(bound, first));
  }) as Dollar<any>;
}

/**
 * Run a command written as a tagged template: `` await $`ls -l ${dir}` ``.
 * `$(options)` returns a `$` with options bound.
 */
export const $: Dollar = dollar({});
