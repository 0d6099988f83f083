/**
 * Bad input, one table: each call and the error it must give — a TypeError
 * thrown by the call itself, or a SpawnError (asynchronous: spawned and
 * exited reject, unless `sync`). test/cases/validation.test.ts checks each
 * TypeError that needs no context on its own; hardening.test.ts and
 * scripts/soak.ts run the whole table in one process (no crash, no hang,
 * nothing left open). The judge is checkBad in test/bad-input-check.ts.
 */
import { type Options, pipeline, run, runAll, spawn } from "../src/index.ts";
import type { BadContext } from "./bad-input-check.ts";
import { nofileLimit } from "./limits.ts";

export interface Expected {
  error: "TypeError" | "SpawnError";
  /** SpawnError: its code and step */
  code?: string;
  step?: string;
  /** a SpawnError thrown by the call itself (TypeErrors always are) rather than rejecting spawned/exited */
  sync?: boolean;
  message?: RegExp;
  /**
   * The call starts children before it fails: pipeline() spawns the stages
   * before the bad one, and they end only once their pipes are collected.
   * Not a check of "nothing opened" then.
   */
  startsChildren?: true;
}

export type BadInput = Expected & { name: string } & (
  | { call(): unknown }
  /** calls that need files, fds or children made for them */
  | { withContext(ctx: BadContext): unknown }
  /** spawn("true", [], options) throws, and run("true", [], options) rejects, with the same error */
  | { options: Options }
);

const KiB = 1024;
/** An ArrayBuffer, or a view of one, transferred away: its bytes are gone. */
function detachedBuffer<T extends ArrayBuffer | Uint8Array = ArrayBuffer>(v: T = new ArrayBuffer(8) as T): T {
  const b = v instanceof ArrayBuffer ? v : v.buffer;
  structuredClone(b, { transfer: [b as ArrayBuffer] });
  return v;
}
const big = (n: number, c = "x") => c.repeat(n);
/** An unread stdout of a child of ours (killed at cleanup). */
const stdoutOf = (ctx: BadContext, file = "sleep", args = ["100"]) => {
  const p = spawn(file, args);
  ctx.extra.push(p);
  return p.stdout!;
};
const SIGNAL_ERR = /must be a signal/;

export const badInputs: BadInput[] = [
  // -- arguments, env, stdio, durations and signals
  { name: "file not a string", call: () => spawn(42 as never), error: "TypeError", message: /file must be a string/ },
  { name: "empty file", call: () => spawn(""), error: "TypeError", message: /file must not be empty/ },
  // node:child_process's name, which would leave the child to be killed with us: the error says what to write.
  { name: "detached (node:child_process's option)", options: { detached: true } as Options, error: "TypeError", message: /detached is node:child_process's option: here it is setsid: true \(a session of its own, which outlives this process\)/ },
  { name: "NUL in file", call: () => spawn("a\0b"), error: "TypeError", message: /NUL/ },
  { name: "args not an array", call: () => spawn("true", "x" as never, {}), error: "TypeError", message: /args must be an array|options must be an object/ },
  { name: "non-string arg", call: () => spawn("true", [1 as never]), error: "TypeError", message: /args\[0\] must be a string/ },
  { name: "NUL in an arg", call: () => spawn("true", ["a\0"]), error: "TypeError", message: /args\[0\].*NUL/ },
  { name: "NUL in argv0", call: () => spawn("true", [], { argv0: "\0" }), error: "TypeError", message: /argv0/ },
  { name: "= in env key", call: () => spawn("true", [], { env: { "A=B": "x" } }), error: "TypeError", message: /env keys/ },
  { name: "empty env key", call: () => spawn("true", [], { env: { "": "x" } }), error: "TypeError", message: /env keys/ },
  { name: "NUL in env value", call: () => spawn("true", [], { env: { A: "\0" } }), error: "TypeError", message: /env\.A.*NUL/ },
  { name: "non-string env value", call: () => spawn("true", [], { env: { A: 1 as never } }), error: "TypeError", message: /env\.A must be a string/ },
  { name: "NUL in cwd", call: () => spawn("true", [], { cwd: "/tmp\0" }), error: "TypeError", message: /cwd/ },
  { name: "unknown stdio word", call: () => spawn("true", [], { stdout: "file" as never }), error: "TypeError", message: /^stdout must be .* got "file"$/ },
  // Bun's null is "ignore"; a Node reader's is the default (a pipe nobody reads here): neither is guessed.
  { name: "stdout null", call: () => spawn("true", [], { stdout: null as never }), error: "TypeError", message: /^stdout: null is "ignore" in Bun and the default in a Node stdio array; say "ignore" or "pipe"/ },
  { name: "stderr null", call: () => spawn("true", [], { stderr: null as never }), error: "TypeError", message: /^stderr: null is "ignore" in Bun/ },
  { name: "stdin null", call: () => spawn("true", [], { stdin: null as never }), error: "TypeError", message: /^stdin: null is "ignore" in Bun/ },
  { name: "stdio array null on fd 1", call: () => spawn("true", [], { stdio: ["ignore", null as never, "inherit"] }), error: "TypeError", message: /^stdio\[1\] must be "pipe", "inherit", "ignore"/ },
  { name: "negative fd", call: () => spawn("true", [], { stdin: -1 }), error: "TypeError", message: /^stdin must be an integer .* got -1$/ },
  { name: "fractional fd", call: () => spawn("true", [], { stderr: 1.5 }), error: "TypeError", message: /^stderr must be an integer .* got 1.5$/ },
  { name: "run() with a pipe as an extra fd", call: () => run("true", [], { stdio: ["ignore", "pipe", "pipe", "pipe"] }), error: "TypeError", message: /stdio\[3\].*use spawn\(\)/ },
  { name: "negative timeout", call: () => spawn("true", [], { timeout: -1 }), error: "TypeError", message: /timeout/ },
  { name: "NaN timeout", call: () => spawn("true", [], { timeout: NaN }), error: "TypeError", message: /timeout/ },
  { name: "unknown killSignal", call: () => spawn("true", [], { killSignal: "SIGNOPE" as never }), error: "TypeError", message: /killSignal must be a signal/ },
  { name: "signal 0", call: () => spawn("true", [], { killSignal: 0 }), error: "TypeError", message: /killSignal/ },
  { name: "inherited property as a signal name", call: () => spawn("true", [], { killSignal: "toString" as never }), error: "TypeError", message: /killSignal must be a signal/ },
  { name: "signal not an AbortSignal", call: () => spawn("true", [], { signal: {} as never }), error: "TypeError", message: /AbortSignal/ },
  { name: "clearEnv not boolean", call: () => spawn("true", [], { clearEnv: "yes" as never }), error: "TypeError", message: /clearEnv/ },
  // -- types
  { name: "file undefined", call: () => spawn(undefined as never), error: "TypeError", message: /file must be a string/ },
  { name: "file null", call: () => spawn(null as never), error: "TypeError", message: /file must be a string/ },
  { name: "file a Symbol", call: () => spawn(Symbol("x") as never), error: "TypeError", message: /file must be a string/ },
  { name: "file a String object", call: () => spawn(new String("true") as never), error: "TypeError", message: /file must be a string/ },
  { name: "undefined in args", call: () => spawn("true", ["a", undefined as never]), error: "TypeError", message: /args\[1\] must be a string/ },
  { name: "null in args", call: () => spawn("true", [null as never]), error: "TypeError", message: /args\[0\] must be a string/ },
  { name: "NUL in a later arg", call: () => spawn("true", ["ok", "also ok", "bad\0"]), error: "TypeError", message: /args\[2\].*NUL/ },
  { name: "options a number", call: () => spawn("true", [], 5 as never), error: "TypeError", message: /options must be an object/ },
  { name: "run() options a string", call: () => run("true", "x" as never), error: "TypeError", message: /^args must be an array of strings, got "x"/ },
  { name: "env a string", call: () => spawn("true", [], { env: "A=B" as never }), error: "TypeError", message: /env must be an object/ },
  { name: "env value an object", call: () => spawn("true", [], { env: { A: {} as never } }), error: "TypeError", message: /env\.A must be a string/ },
  { name: "NUL in an env key", call: () => spawn("true", [], { env: { "A\0B": "x" } }), error: "TypeError", message: /env keys/ },
  { name: "cwd a number", call: () => spawn("true", [], { cwd: 1 as never }), error: "TypeError", message: /^cwd must be a path or a file: URL, got 1$/ },
  { name: "argv0 a number", call: () => spawn("true", [], { argv0: 0 as never }), error: "TypeError", message: /argv0 must be a string/ },
  // -- stdio
  { name: "stdin true", call: () => spawn("true", [], { stdin: true as never }), error: "TypeError", message: /^stdin must be .* got true$/ },
  { name: "stdin a plain object", call: () => spawn("true", [], { stdin: {} as never }), error: "TypeError", message: /^stdin must be .* got an object$/ },
  { name: "stdio[0] a locked ReadableStream", call: () => {
    const s = new ReadableStream();
    s.getReader();
    return spawn("cat", [], { stdio: [s] });
  }, error: "TypeError", message: /^stdio\[0\]: the ReadableStream is locked/ },
  { name: "stdout a ReadableStream", call: () => spawn("cat", [], { stdout: new ReadableStream() as never }), error: "TypeError", message: /^stdout must be .* got a ReadableStream$/ },
  { name: "input and stdin both", call: () => spawn("cat", [], { input: "x", stdin: "ignore" }), error: "TypeError", message: /^input and stdin cannot both be given/ },
  { name: "input a number", call: () => spawn("cat", [], { input: 5 as never }), error: "TypeError", message: /^input must be a string, .* got 5$/ },
  {
    name: "a stream piped twice (two spawns)",
    withContext: (ctx) => {
      const s = stdoutOf(ctx);
      ctx.extra.push(spawn("cat", [], { stdin: s, stdout: "ignore" }));
      return spawn("cat", [], { stdin: s });
    },
    error: "TypeError", message: /already read, piped/,
  },
  {
    name: "a stream piped twice (one spawn, two fds)",
    withContext: (ctx) => {
      const s = stdoutOf(ctx);
      return spawn("cat", [], { stdio: [s, "pipe", "inherit", s] as never });
    },
    error: "TypeError", message: /already read, piped/,
  },
  {
    name: "a stream locked by a reader",
    withContext: (ctx) => {
      const s = stdoutOf(ctx);
      s.getReader();
      return spawn("cat", [], { stdin: s });
    },
    error: "TypeError", message: /already read, piped/,
  },
  {
    name: "a stream cancelled",
    withContext: async (ctx) => {
      const s = stdoutOf(ctx);
      await s.cancel();
      return spawn("cat", [], { stdin: s });
    },
    error: "TypeError", message: /already read, piped|cancelled/,
  },
  { name: "stdio[4] true", call: () => spawn("true", [], { stdio: ["ignore", "pipe", "inherit", null, true as never] }), error: "TypeError", message: /stdio\[4\]/ },
  { name: "stdout NaN", call: () => spawn("true", [], { stdout: NaN }), error: "TypeError", message: /^stdout must be an integer .* got NaN$/ },
  { name: "stdout Infinity", call: () => spawn("true", [], { stdout: Infinity }), error: "TypeError", message: /^stdout must be an integer .* got Infinity$/ },
  // -- durations and signals
  { name: "timeout a string", call: () => spawn("true", [], { timeout: "100" as never }), error: "TypeError", message: /timeout/ },
  { name: "timeout fractional", call: () => spawn("true", [], { timeout: 1.5 }), error: "TypeError", message: /timeout/ },
  { name: "forceKillAfter negative", call: () => spawn("true", [], { forceKillAfter: -1 }), error: "TypeError", message: /forceKillAfter/ },
  // Was taken for SIGTERM, where null is a TypeError for every other option.
  { name: "killSignal null", options: { killSignal: null as never }, error: "TypeError", message: /^killSignal must be a signal name or number, got null/ },
  // Was args[3]: the index in the shell's own argv.
  { name: "shell: a NUL in args[0] is named as given", call: () => run('printf %s "$1"', ["a\0b"], { shell: true }), error: "TypeError", message: /^args\[0\] must not contain NUL/ },
  // Was accepted, and all() then failed inside the batch.
  { name: "runAll() signal not an AbortSignal", call: () => runAll([["true"]], { signal: "x" as never }), error: "TypeError", message: /^signal must be an AbortSignal, got "x"/ },
  { name: "killSignal 33 (glibc's)", call: () => spawn("true", [], { killSignal: 33 }), error: "TypeError", message: /not 32 or 33/ },
  { name: "killSignal SIGRTMIN+31 (65)", call: () => spawn("true", [], { killSignal: "SIGRTMIN+31" as never }), error: "TypeError", message: /killSignal must be a signal/ },
  { name: "kill(\"1\") (a number as a string)", withContext: (ctx) => ctx.sleeper.kill("1" as never), error: "TypeError", message: /signal must be a signal name or number/ },
  { name: "kill(65)", withContext: (ctx) => ctx.sleeper.kill(65), error: "TypeError", message: /signal number from 1 to 64/ },
  { name: "kill(-9)", withContext: (ctx) => ctx.sleeper.kill(-9), error: "TypeError", message: /signal number from 1 to 64/ },
  { name: "kill(NaN)", withContext: (ctx) => ctx.sleeper.kill(NaN), error: "TypeError", message: /signal number/ },
  // -- pre-exec options
  { name: "uid string", options: { uid: "0" as never }, error: "TypeError", message: /uid must be an integer/ },
  { name: "uid negative", options: { uid: -1 }, error: "TypeError", message: /uid must be an integer/ },
  { name: "uid fractional", options: { uid: 1.5 }, error: "TypeError", message: /uid must be an integer/ },
  { name: "uid -1 as u32", options: { uid: 0xffffffff }, error: "TypeError", message: /uid must be an integer from 0 to 4294967294/ },
  { name: "uid NaN", options: { uid: NaN }, error: "TypeError", message: /uid/ },
  { name: "gid string", options: { gid: "0" as never }, error: "TypeError", message: /gid must be an integer/ },
  { name: "gid out of range", options: { gid: 2 ** 32 }, error: "TypeError", message: /gid/ },
  { name: "groups not an array", options: { groups: 5 as never }, error: "TypeError", message: /groups must be an array/ },
  { name: "groups entry string", options: { groups: ["wheel" as never] }, error: "TypeError", message: /groups\[0\]/ },
  { name: "groups entry negative", options: { groups: [1, -2] }, error: "TypeError", message: /groups\[1\]/ },
  // A hole was skipped by the check and encoded as group 0: root's group for a child run as nobody.
  // deno-lint-ignore no-sparse-arrays
  { name: "groups with a hole", options: { groups: [1, , 3] as never }, error: "TypeError", message: /^groups\[1\] must be an integer/ },
  { name: "groups above NGROUPS_MAX", options: { groups: Array.from({ length: 65537 }, (_, i) => i) }, error: "TypeError", message: /at most 65536/ },
  { name: "setsid not boolean", options: { setsid: 1 as never }, error: "TypeError", message: /setsid must be a boolean/ },
  { name: "processGroup 0", options: { processGroup: 0 }, error: "TypeError", message: /processGroup/ },
  { name: "processGroup negative", options: { processGroup: -5 }, error: "TypeError", message: /processGroup/ },
  { name: "processGroup string", options: { processGroup: "1" as never }, error: "TypeError", message: /processGroup/ },
  { name: "umask above 0o777", options: { umask: 0o1000 }, error: "TypeError", message: /umask must be an integer from 0 to 511/ },
  { name: "umask string", options: { umask: "022" as never }, error: "TypeError", message: /umask/ },
  { name: "umask negative", options: { umask: -1 }, error: "TypeError", message: /umask/ },
  { name: "nice below -20", options: { nice: -21 }, error: "TypeError", message: /nice must be an integer from -20 to 19/ },
  { name: "nice above 19", options: { nice: 20 }, error: "TypeError", message: /nice/ },
  { name: "nice fractional", options: { nice: 1.5 }, error: "TypeError", message: /nice/ },
  { name: "rlimits not an object", options: { rlimits: 5 as never }, error: "TypeError", message: /rlimits must be an object/ },
  { name: "rlimits null", options: { rlimits: null as never }, error: "TypeError", message: /rlimits must be an object/ },
  // A Map (whose entries are no own keys) set no limit at all, an array "unknown rlimit \"0\"".
  { name: "rlimits a Map", options: { rlimits: new Map([["nofile", 5]]) as never }, error: "TypeError", message: /^rlimits must be an object of limits .*got a Map/ },
  { name: "rlimits an array", options: { rlimits: [1, 2] as never }, error: "TypeError", message: /^rlimits must be an object of limits .*got an array/ },
  { name: "unknown rlimit", options: { rlimits: { files: 5 } as never }, error: "TypeError", message: /unknown rlimit "files"/ },
  { name: "rlimit named after Object.prototype", options: { rlimits: { constructor: 1 } as never }, error: "TypeError", message: /unknown rlimit "constructor"/ },
  { name: "rlimit toString", options: { rlimits: { toString: 1 } as never }, error: "TypeError", message: /unknown rlimit "toString"/ },
  { name: "rlimit negative", options: { rlimits: { nofile: -1 } }, error: "TypeError", message: /rlimits\.nofile must be a non-negative integer/ },
  { name: "rlimit fractional", options: { rlimits: { nofile: 1.5 } }, error: "TypeError", message: /rlimits\.nofile/ },
  { name: "rlimit NaN", options: { rlimits: { nofile: NaN } }, error: "TypeError", message: /rlimits\.nofile/ },
  { name: "rlimit string", options: { rlimits: { nofile: "64" as never } }, error: "TypeError", message: /rlimits\.nofile/ },
  { name: "rlimit -Infinity", options: { rlimits: { nofile: -Infinity } }, error: "TypeError", message: /rlimits\.nofile/ },
  { name: "rlimit 2 ** 64 (would wrap to 0)", options: { rlimits: { cpu: 2 ** 64 } }, error: "TypeError", message: /rlimits\.cpu/ },
  { name: "rlimit bigint negative", options: { rlimits: { nofile: -1n } }, error: "TypeError", message: /rlimits\.nofile/ },
  { name: "rlimit bigint 2n ** 64n", options: { rlimits: { nofile: 2n ** 64n } }, error: "TypeError", message: /rlimits\.nofile/ },
  { name: "rlimit soft above hard", options: { rlimits: { nofile: [128, 64] } }, error: "TypeError", message: /soft limit 128 is above hard limit 64/ },
  { name: "rlimit unlimited soft, finite hard", options: { rlimits: { nofile: [null, 64] } }, error: "TypeError", message: /soft limit/ },
  { name: "rlimit array of one", options: { rlimits: { nofile: [64] as never } }, error: "TypeError", message: /rlimits\.nofile/ },
  { name: "rlimit array of three", options: { rlimits: { nofile: [1, 2, 3] as never } }, error: "TypeError", message: /rlimits\.nofile/ },
  { name: "deathSignal unknown name", options: { deathSignal: "SIGFOO" as never }, error: "TypeError", message: /deathSignal must be a signal/ },
  { name: "deathSignal 0", options: { deathSignal: 0 }, error: "TypeError", message: /deathSignal/ },
  { name: "deathSignal 65", options: { deathSignal: 65 }, error: "TypeError", message: /deathSignal/ },
  { name: "deathSignal 32 (glibc's)", options: { deathSignal: 32 }, error: "TypeError", message: /deathSignal/ },
  { name: "deathSignal SIGRTMIN+31", options: { deathSignal: "SIGRTMIN+31" }, error: "TypeError", message: /deathSignal/ },
  { name: "deathSignal lowercase", options: { deathSignal: "sigkill" as never }, error: "TypeError", message: /deathSignal/ },
  { name: "deathSignal named after Object.prototype", options: { deathSignal: "toString" as never }, error: "TypeError", message: /deathSignal/ },
  { name: "deathSignal boolean", options: { deathSignal: true as never }, error: "TypeError", message: /deathSignal/ },
  { name: "cleanup not boolean", options: { cleanup: "no" as never }, error: "TypeError", message: /cleanup must be a boolean, got "no"$/ },
  { name: "reject not boolean", options: { reject: 0 as never }, error: "TypeError", message: /reject must be a boolean, got 0$/ },
  { name: "maxBuffer 0", options: { maxBuffer: 0 }, error: "TypeError", message: /maxBuffer must be a positive number of bytes .*, got 0/ },
  { name: "maxBuffer NaN", options: { maxBuffer: NaN }, error: "TypeError", message: /maxBuffer must be a positive number/ },
  { name: "maxBuffer string", options: { maxBuffer: "1k" as never }, error: "TypeError", message: /maxBuffer .* got "1k"$/ },
  { name: "noNewPrivileges not boolean", options: { noNewPrivileges: "yes" as never }, error: "TypeError", message: /noNewPrivileges must be a boolean/ },
  { name: "cgroup not a string", options: { cgroup: 5 as never }, error: "TypeError", message: /cgroup must be a string/ },
  { name: "cgroup with NUL", options: { cgroup: "/sys/fs/cgroup\0x" }, error: "TypeError", message: /cgroup must not contain NUL/ },
  { name: "signalMask not an array", options: { signalMask: "SIGTERM" as never }, error: "TypeError", message: /signalMask must be an array/ },
  { name: "signalMask unknown name", options: { signalMask: ["SIGTERM", "SIGNOPE" as never] }, error: "TypeError", message: /signalMask entry must be a signal/ },
  { name: "signalMask 0", options: { signalMask: [0] }, error: "TypeError", message: SIGNAL_ERR },
  { name: "signalMask 33", options: { signalMask: [33] }, error: "TypeError", message: SIGNAL_ERR },
  { name: "signalMask named after Object.prototype", options: { signalMask: ["constructor" as never] }, error: "TypeError", message: SIGNAL_ERR },
  { name: "pty cols 0", options: { pty: { cols: 0 } }, error: "TypeError", message: /^pty\.cols must be an integer from 1 to 65535, got 0$/ },
  { name: "pty an unknown key", options: { pty: { width: 100 } as never }, error: "TypeError", message: /^pty: unknown option "width"/ },
  { name: "pty a string", options: { pty: "yes" as never }, error: "TypeError", message: /^pty must be true or/ },
  { name: "pty with setsid false", options: { pty: true, setsid: false }, error: "TypeError", message: /^setsid: false contradicts pty/ },
  { name: "pty with every slot given", options: { pty: true, stdio: ["ignore", "ignore", "ignore"] }, error: "TypeError", message: /^pty: stdin, stdout and stderr are all given/ },
  { name: "seccomp an array", options: { seccomp: [6, 0, 0, 0, 0, 0, 0xff, 0x7f] as never }, error: "TypeError", message: /seccomp must be a Uint8Array/ },
  // Was a StreamError once the child ran (run()), "Buffer is already detached" naming no option (runSync()).
  { name: "input a detached ArrayBuffer", options: { input: detachedBuffer() }, error: "TypeError", message: /^input: the ArrayBuffer is detached/ },
  { name: "stdin a view of a detached ArrayBuffer", options: { stdin: detachedBuffer(new Uint8Array(8)) as never }, error: "TypeError", message: /^stdin: the ArrayBuffer is detached/ },
  { name: "stdin \"stdout\" (no merge for stdin)", options: { stdin: "stdout" as never }, error: "TypeError", message: /^stdin: "stdout" is no input/ },
  { name: "seccomp an ArrayBuffer", options: { seccomp: new ArrayBuffer(8) as never }, error: "TypeError", message: /seccomp must be a Uint8Array/ },
  { name: "seccomp empty", options: { seccomp: new Uint8Array(0) }, error: "TypeError", message: /1 to 4096 filters/ },
  { name: "seccomp not a multiple of 8", options: { seccomp: new Uint8Array(12) }, error: "TypeError", message: /got 12 bytes/ },
  { name: "seccomp above 4096 filters", options: { seccomp: new Uint8Array(8 * 4097) }, error: "TypeError", message: /1 to 4096 filters/ },
  { name: "extra fd negative", options: { stdio: ["ignore", "pipe", "inherit", -1] }, error: "TypeError", message: /stdio\[3\]/ },
  { name: "extra fd fractional", options: { stdio: ["ignore", "pipe", "inherit", null, 3.5] }, error: "TypeError", message: /stdio\[4\]/ },
  { name: "extra fd too large", options: { stdio: ["ignore", "pipe", "inherit", 2 ** 20] }, error: "TypeError", message: /stdio\[3\]/ },
  { name: "extra fd an object", options: { stdio: ["ignore", "pipe", "inherit", {} as never] }, error: "TypeError", message: /stdio\[3\]/ },
  { name: "stdio an unknown word", options: { stdio: "all" as never }, error: "TypeError", message: /stdio must be "pipe", "inherit", "ignore" or an array, got "all"/ },
  { name: "stdio a number", options: { stdio: 1 as never }, error: "TypeError", message: /stdio must be "pipe", "inherit", "ignore" or an array/ },
  // -- files the child opens, merges
  { name: "file not a string", options: { stdout: { file: 1 as never } }, error: "TypeError", message: /^stdout\.file must be a path or a file: URL, got 1$/ },
  { name: "file empty", options: { stderr: { file: "" } }, error: "TypeError", message: /stderr\.file must not be empty/ },
  { name: "file with NUL", options: { stdio: ["ignore", "pipe", "pipe", { file: "a\0b" }] }, error: "TypeError", message: /stdio\[3\]\.file must not contain NUL/ },
  { name: "file with an unknown key", options: { stdout: { file: "x", apend: true } as never }, error: "TypeError", message: /stdout: unknown key "apend"/ },
  { name: "file append not a boolean", options: { stdout: { file: "x", append: "yes" as never } }, error: "TypeError", message: /stdout\.append must be a boolean/ },
  { name: "file mode above 0o7777", options: { stdout: { file: "x", mode: 0o10000 } }, error: "TypeError", message: /stdout\.mode must be an integer from 0 to 4095/ },
  { name: "file mode negative", options: { stdout: { file: "x", mode: -1 } }, error: "TypeError", message: /stdout\.mode/ },
  { name: "stdin file with append", options: { stdin: { file: "x", append: true } }, error: "TypeError", message: /stdin: append and mode are for output files/ },
  { name: "stdin file with mode", options: { stdin: { file: "x", mode: 0o600 } }, error: "TypeError", message: /stdin: append and mode/ },
  { name: "merge into itself", options: { stdout: "stdout" as never }, error: "TypeError", message: /stdout cannot be a copy of itself/ },
  { name: "merge { child } into itself", options: { stdio: ["ignore", "pipe", { child: 2 }] }, error: "TypeError", message: /stdio\[2\] cannot be a copy of itself/ },
  { name: "merge cycle stdout <-> stderr", options: { stdout: "stderr", stderr: "stdout" }, error: "TypeError", message: /child fds 1 -> 2 -> 1 form a cycle/ },
  { name: "merge cycle of three", options: { stdio: ["ignore", { child: 3 }, { child: 1 }, { child: 2 }] }, error: "TypeError", message: /form a cycle/ },
  { name: "merge of a closed fd", options: { stdio: ["ignore", "pipe", { child: 5 }] }, error: "TypeError", message: /stdio\[2\]: child fd 5 is closed/ },
  { name: "merge of an fd left null", options: { stdio: ["ignore", "pipe", { child: 3 }, null] }, error: "TypeError", message: /child fd 3 is closed/ },
  { name: "merge child not an fd", options: { stdio: ["ignore", "pipe", { child: -1 }] }, error: "TypeError", message: /stdio\[2\]\.child must be an integer/ },
  { name: "merge with an extra key", options: { stdio: ["ignore", "pipe", { child: 1, x: 1 } as never] }, error: "TypeError", message: /stdio\[2\] must be \{ child: fd \}/ },
  { name: "more than 64 extra pipes", call: () => spawn("true", [], { stdio: ["ignore", "ignore", "ignore", ...Array(65).fill("pipe")] }), error: "TypeError", message: /at most 64 pipes/ },
  // -- limits
  { name: "stdio of 5000 entries (the native limit is 4096)", call: () => spawn("true", [], { stdio: Array(5000).fill(0) }), error: "TypeError", message: /stdio/ },
  { name: "run() maxBuffer 0", call: () => run("true", [], { maxBuffer: 0 }), error: "TypeError", message: /maxBuffer/ },
  { name: "run() maxBuffer NaN", call: () => run("true", [], { maxBuffer: NaN }), error: "TypeError", message: /maxBuffer/ },
  // -- pipelines
  { name: "pipeline of nothing", call: () => pipeline([]), error: "TypeError", message: /at least one stage/ },
  { name: "pipeline not an array", call: () => pipeline("cat" as never), error: "TypeError", message: /at least one stage/ },
  { name: "pipeline stage a string", call: () => pipeline([["cat"], "wc" as never]), error: "TypeError", message: /stage 1 must be/, startsChildren: true },
  { name: "pipeline stage 1 with its own stdin", call: () => pipeline([["cat"], ["cat", [], { stdin: "pipe" }]]), error: "TypeError", message: /stage 1: its stdin/, startsChildren: true },
  { name: "pipeline stage 1 with input", call: () => pipeline([["cat"], ["cat", [], { input: "x" }]]), error: "TypeError", message: /stage 1: its stdin/, startsChildren: true },
  { name: "pipeline middle stdout not a pipe", call: () => pipeline([["cat", [], { stdout: "ignore" }], ["cat"]]), error: "TypeError", message: /must be "pipe"/ },
  { name: "pipeline stage 1 with stdio[0]", call: () => pipeline([["cat"], ["cat", [], { stdio: [0] }]]), error: "TypeError", message: /stdio\[0\] is the link to stage 0/, startsChildren: true },
  { name: "pipeline stage 0 with stdio[1]", call: () => pipeline([["cat", [], { stdio: [undefined, 1] }], ["cat"]]), error: "TypeError", message: /stdio\[1\] is the link to stage 1/ },
  {
    name: "pipeline fed a stream another pipeline consumes",
    withContext: (ctx) => {
      const p = pipeline([["sleep", ["100"]], ["cat", [], { stdout: "ignore" }]]);
      ctx.extra.push(...p.stages);
      return pipeline([["cat", [], { stdin: p.stages[0]!.stdout! }], ["cat"]]);
    },
    error: "TypeError", message: /already read, piped/,
  },
  {
    name: "pipeline fed its own first stage's output (cycle)",
    withContext: (ctx) => {
      // The nearest thing to a cycle the API allows: a stage's output, once
      // piped into stage 2, offered again as the pipeline's next input.
      const p = pipeline([["sleep", ["100"]], ["cat", [], { stdout: "ignore" }]]);
      ctx.extra.push(...p.stages);
      return spawn("cat", [], { stdin: p.stages[0]!.stdout! });
    },
    error: "TypeError", message: /already read, piped/,
  },
  // -- execve failures (asynchronous SpawnErrors)
  { name: "argv past ARG_MAX (40 x 100 KiB)", call: () => spawn("true", Array.from({ length: 40 }, () => big(100 * KiB))), error: "SpawnError", code: "E2BIG", step: "execve" },
  { name: "one arg past MAX_ARG_STRLEN (200 KiB)", call: () => spawn("true", [big(200 * KiB)]), error: "SpawnError", code: "E2BIG", step: "execve" },
  { name: "environment past ARG_MAX", call: () => spawn("true", [], { env: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`BIG${i}`, big(100 * KiB)])) }), error: "SpawnError", code: "E2BIG", step: "execve" },
  { name: "a directory as file", call: () => spawn("/tmp"), error: "SpawnError", code: "EACCES", step: "execve" },
  { name: "a directory found in PATH", call: () => spawn("tmp", [], { env: { PATH: "/" } }), error: "SpawnError", code: "EACCES", step: "execve" },
  { name: "a non-executable file", withContext: (ctx) => spawn(ctx.plain), error: "SpawnError", code: "EACCES", step: "execve" },
  { name: "a non-executable file found in PATH", withContext: (ctx) => spawn("plain", [], { env: { PATH: ctx.dir } }), error: "SpawnError", code: "EACCES", step: "execve" },
  { name: "an executable that is no program (no shell fallback)", withContext: (ctx) => spawn(ctx.junk), error: "SpawnError", code: "ENOEXEC", step: "execve" },
  { name: "a script whose interpreter is missing", withContext: (ctx) => spawn(ctx.badShebang), error: "SpawnError", code: "ENOENT", step: "execve" },
  { name: "relative path, no cwd", call: () => spawn("./definitely-not-here"), error: "SpawnError", code: "ENOENT", step: "execve" },
  { name: "relative path valid only in another cwd", call: () => spawn("bin/true"), error: "SpawnError", code: "ENOENT", step: "execve" },
  { name: "relative path with a cwd that lacks it", call: () => spawn("./true", [], { cwd: "/tmp" }), error: "SpawnError", code: "ENOENT", step: "execve" },
  { name: "relative path with a missing cwd", call: () => spawn("bin/true", [], { cwd: "/nonexistent-dir" }), error: "SpawnError", code: "ENOENT", step: "chdir" },
  { name: "cwd a regular file", withContext: (ctx) => spawn("true", [], { cwd: ctx.plain }), error: "SpawnError", code: "ENOTDIR", step: "chdir" },
  { name: "cwd empty", call: () => spawn("true", [], { cwd: "" }), error: "SpawnError", code: "ENOENT", step: "chdir" },
  { name: "file name of 5000 bytes", call: () => spawn(`/${big(5000, "a")}`), error: "SpawnError", code: "ENAMETOOLONG", step: "execve" },
  { name: "path component of 300 bytes", call: () => spawn(`/tmp/${big(300, "a")}`), error: "SpawnError", code: "ENAMETOOLONG", step: "execve" },
  { name: "a symlink loop as file", withContext: (ctx) => spawn(`${ctx.dir}/loop`), error: "SpawnError", code: "ELOOP", step: "execve" },
  { name: "a FIFO as file", withContext: (ctx) => spawn(`${ctx.dir}/fifo`), error: "SpawnError", code: "EACCES", step: "execve" },
  { name: "a device as file", call: () => spawn("/dev/null"), error: "SpawnError", code: "EACCES", step: "execve" },
  { name: "a file as a directory in the path", call: () => spawn("/etc/passwd/x"), error: "SpawnError", code: "ENOTDIR", step: "execve" },
  { name: "a million empty arguments", call: () => spawn("true", Array(1_000_000).fill("")), error: "SpawnError", code: "E2BIG", step: "execve" },
  { name: "200 000 environment variables", call: () => spawn("true", [], { env: Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`V${i}`, "x"])) }), error: "SpawnError", code: "E2BIG", step: "execve" },
  { name: "not in PATH", call: () => spawn("definitely-not-a-command-xyz"), error: "SpawnError", code: "ENOENT", step: "execve" },
  { name: "empty PATH", call: () => spawn("true", [], { env: { PATH: "" } }), error: "SpawnError", code: "ENOENT", step: "execve" },
  // -- fds
  { name: "stdin a closed fd just below RLIMIT_NOFILE", call: () => spawn("true", [], { stdin: nofileLimit().soft - 1 }), error: "SpawnError", code: "EBADF", step: "dup2:0" },
  { name: "stdio[3] the largest fd number", call: () => spawn("true", [], { stdio: ["ignore", "pipe", "inherit", (1 << 20) - 1] }), error: "SpawnError", code: "EBADF", step: "dup2:3" },
  // -- pre-exec steps
  { name: "rlimit nofile above nr_open", call: () => spawn("true", [], { rlimits: { nofile: 2 ** 21 } }), error: "SpawnError", code: "EPERM", step: "setrlimit:nofile" },
  { name: "processGroup of nobody", call: () => spawn("true", [], { processGroup: 0x7ffffff0 }), error: "SpawnError", code: "EPERM", step: "setpgid" },
  { name: "cgroup a regular file", withContext: (ctx) => spawn("true", [], { cgroup: ctx.plain }), error: "SpawnError", code: "ENOTDIR", step: "cgroup", sync: true },
  { name: "run() of a missing program", call: () => run("definitely-not-a-command-xyz"), error: "SpawnError", code: "ENOENT", step: "execve" },
];
