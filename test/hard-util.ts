/**
 * Helpers of the hardening cases (test/cases/hardening.test.ts), their
 * fixtures (test/fixtures/hard-*.ts) and the soak script (scripts/soak.ts):
 * process measurements from /proc, the spawn soak, the live-children run,
 * the table of malformed calls, and a fixture runner that can raise limits
 * and expose the GC. Imports no test runner, so scripts can use it.
 */
import { spawn as spawnNode } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { runtime } from "../src/ffi/runtime.ts";
import { pipeline, run, spawn, SpawnError, type Subprocess } from "../src/index.ts";
import { bundleFixture } from "./bundle.ts";
import { childrenOfUs, openFds, zombieChildren } from "./util.ts";

declare const Bun: { gc(sync: boolean): void; shrink?(): void } | undefined;

// The repository: from test/ (source) or from build/NAME/ (a bundle).
const here = decodeURIComponent(new URL("..", import.meta.url).pathname);
const root = here.endsWith("/build/") ? here.slice(0, -"build/".length) : here;

// ---- measurements -----------------------------------------------------------

/** A numeric field of /proc/self/status ("Threads", "VmRSS" in kB, ...). */
export function procStatus(field: string, pid: number | "self" = "self"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]);
}

/** A hex signal mask of /proc/self/status ("SigIgn", "SigCgt", ...). */
export function sigMask(field: string): bigint {
  const m = new RegExp(`^${field}:\\s+([0-9a-f]+)`, "m").exec(readFileSync("/proc/self/status", "utf8"));
  return BigInt(`0x${m![1]}`);
}

export const threads = () => procStatus("Threads");

/** Threads whose name is the process's own (runtimes name their helpers;
 * the library's reactor thread keeps the name it inherited). */
export function unnamedThreads(): number {
  const own = readFileSync("/proc/self/comm", "utf8");
  let n = 0;
  for (const t of readdirSync("/proc/self/task")) {
    try {
      if (readFileSync(`/proc/self/task/${t}/comm`, "utf8") === own) n++;
    } catch {
      // exited meanwhile
    }
  }
  return n;
}
export const rssBytes = () => procStatus("VmRSS") * 1024;
export const mapsLines = () => readFileSync("/proc/self/maps", "utf8").split("\n").length - 1;

/** A process's state letter (R, S, Z, ...), or "-" when it is gone. */
export function procState(pid: number): string {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    return s.slice(s.lastIndexOf(")") + 2)[0]!;
  } catch {
    return "-";
  }
}

let gcFn: ((options?: object) => void) | null | undefined;

/**
 * A full garbage collection if the runtime lets us; false if it does not.
 * `release`: also hand back to the OS what the engine keeps for reuse (V8's
 * pooled pages and young generation, JSC's free blocks), as it does under
 * memory pressure — without it V8's RSS swings by ~10 % (Deno: 48 <-> 54 MB
 * anonymous every 10 000 spawns, live objects flat), which is no leak of
 * anybody's.
 */
export function gc(release = false): boolean {
  if (typeof Bun !== "undefined") {
    Bun.gc(true);
    if (release) Bun.shrink?.();
    return true;
  }
  if (gcFn === undefined) {
    const g = (globalThis as { gc?: () => void }).gc;
    gcFn = typeof g === "function" ? g : null;
    if (!gcFn) {
      try {
        // Node (and Deno's node:v8) without --expose-gc: enable it now.
        const req = createRequire(import.meta.url);
        req("node:v8").setFlagsFromString("--expose-gc");
        const f = req("node:vm").runInNewContext("gc");
        if (typeof f === "function") gcFn = f;
      } catch {
        gcFn = null;
      }
    }
  }
  if (!gcFn) return false;
  gcFn(release ? { type: "major", execution: "sync", flavor: "last-resort" } : undefined);
  return true;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Let fds settle (Bun's waker drops a dup of the notify pipe a moment
 * after going idle; FinalizationRegistry closes orphaned pipes after GC). */
export async function settle(): Promise<void> {
  let last = -1;
  for (let i = 0; i < 40; i++) {
    gc();
    await sleep(25);
    const now = openFds();
    if (now === last) return;
    last = now;
  }
}

export interface Snapshot {
  fds: number;
  /** "fd=target" of each open fd, inode numbers left out ("5=pipe", "7=anon_inode:[pidfd]") */
  fdList: string[];
  threads: number;
  /** threads named like the main thread: the library's reactor is one of them */
  unnamedThreads: number;
  rss: number;
  /** of which anonymous memory (RSS less mapped files: the runtime's code paged in) */
  rssAnon: number;
  /** the JS engine's heap: capacity (which engines grow and keep) and live objects */
  heapTotal: number;
  heapUsed: number;
  maps: number;
  zombies: number;
  children: number;
}

export function fdList(): string[] {
  const out: string[] = [];
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      out.push(`${fd}=${readlinkSync(`/proc/self/fd/${fd}`).replace(/:\[\d+\]$/, "")}`);
    } catch {
      // the directory's own fd, gone by now
    }
  }
  return out;
}

/** Entries of `after` that `before` lacks (fds opened since, or reused for something else). */
export const newFds = (before: Snapshot, after: Snapshot) => after.fdList.filter((f) => !before.fdList.includes(f));

export function snapshot(): Snapshot {
  return {
    fds: openFds(),
    fdList: fdList(),
    threads: threads(),
    unnamedThreads: unnamedThreads(),
    rss: rssBytes(),
    rssAnon: procStatus("RssAnon") * 1024,
    heapTotal: process.memoryUsage().heapTotal,
    heapUsed: process.memoryUsage().heapUsed,
    maps: mapsLines(),
    zombies: zombieChildren(),
    children: childrenOfUs().length,
  };
}

// ---- the spawn soak ---------------------------------------------------------

/** V8 grows its young generation with the allocation rate and keeps the
 * pages (node:child_process shows the same +40 % RSS over 30 000 spawns):
 * the fixtures pin it (--min/--max-semi-space-size), and this touches all
 * of it once, so that what the soak measures is ours. */
export const V8_FLAGS = ["--expose-gc", "--min-semi-space-size=16", "--max-semi-space-size=16"];

let sink: unknown;
export function warmYoungGeneration(): void {
  for (let i = 0; i < 3_000_000; i++) sink = { i, a: [i, i + 1] };
  sink = undefined;
}

export interface SoakResult {
  spawns: number;
  inflight: number;
  warmup: number;
  ms: number;
  perSec: number;
  /** spawns whose child did not exit 0 */
  failures: number;
  gc: boolean;
  before: Snapshot;
  after: Snapshot;
  peak: { fds: number; threads: number; rss: number; maps: number };
}

/** `total` spawns of /bin/true, `inflight` at once, one process. */
export async function soakSpawns(
  total: number,
  inflight = 64,
  warmup = 5000,
  onProgress?: (done: number) => void,
): Promise<SoakResult> {
  const batch = async (n: number, sample?: (done: number) => void) => {
    let started = 0, done = 0, failures = 0;
    await new Promise<void>((resolve, reject) => {
      const launch = () => {
        started++;
        let p: Subprocess;
        try {
          p = spawn("/bin/true", [], { stdout: "ignore" });
        } catch (e) {
          return reject(e);
        }
        p.exited.then((s) => {
          if (s.exitCode !== 0) failures++;
          done++;
          if (sample && done % 1000 === 0) sample(done);
          if (started < n) launch();
          else if (done === n) resolve();
        }, reject);
      };
      for (let i = 0; i < Math.min(inflight, n); i++) launch();
    });
    return failures;
  };
  await batch(warmup); // warm-up: library, reactor, stack pool, JIT, heap sizes
  warmYoungGeneration();
  await settle();
  const hasGc = gc(true);
  await settle();
  gc(true);
  const before = snapshot();
  const peak = { fds: before.fds, threads: before.threads, rss: before.rss, maps: before.maps };
  const t0 = performance.now();
  const failures = await batch(total, (done) => {
    peak.fds = Math.max(peak.fds, openFds());
    peak.threads = Math.max(peak.threads, threads());
    peak.rss = Math.max(peak.rss, rssBytes());
    peak.maps = Math.max(peak.maps, mapsLines());
    onProgress?.(done);
  });
  const ms = performance.now() - t0;
  await settle();
  gc(true);
  await sleep(50);
  gc(true);
  const after = snapshot();
  return { spawns: total, inflight, warmup, ms, perSec: total / (ms / 1000), failures, gc: hasGc, before, after, peak };
}

// ---- many live children -----------------------------------------------------

export interface LiveResult {
  children: number;
  spawned: number;
  alive: number;
  killed: number;
  reaped: number;
  left: number;
  zombies: number;
  nofile: number;
  before: Snapshot;
  after: Snapshot;
  /** spawn() call times in µs */
  first100: Dist;
  last100: Dist;
  all: Dist;
  spawnMs: number;
  killMs: number;
  reapMs: number;
}

export function nofileLimit(pid: number | "self" = "self"): { soft: number; hard: number } {
  const line = readFileSync(`/proc/${pid}/limits`, "utf8").split("\n").find((l) => l.startsWith("Max open files"))!;
  const [soft, hard] = line.slice(25).trim().split(/\s+/).map((v) => (v === "unlimited" ? Infinity : Number(v)));
  return { soft: soft!, hard: hard! };
}

export interface Dist {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

function dist(xs: number[]): Dist {
  const s = [...xs].sort((a, b) => a - b);
  const q = (f: number) => s[Math.min(s.length - 1, Math.floor(s.length * f))]!;
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: s[s.length - 1]!, mean: xs.reduce((a, b) => a + b, 0) / xs.length };
}

/** `n` children of `sleep 1000` (stdio ignored) alive at once; all killed and reaped. */
export async function liveChildren(n: number): Promise<LiveResult> {
  // A warm-up round first: runtimes set up some resources lazily under such
  // a load (Deno: a thread and a socket pair, once) — not ours to count.
  await liveRound(Math.min(n, 1000));
  return liveRound(n);
}

async function liveRound(n: number): Promise<LiveResult> {
  await run("true");
  await settle();
  const before = snapshot();
  const kids: Subprocess[] = [];
  const times: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    kids.push(spawn("sleep", ["1000"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" }));
    times.push((performance.now() - t) * 1000);
    // Let status pipes report now and then: each child holds one until
    // our side learns it exec'd.
    if (i % 200 === 199) await Promise.all(kids.slice(i - 199).map((k) => k.spawned));
  }
  let spawned = 0;
  for (const r of await Promise.allSettled(kids.map((k) => k.spawned))) if (r.status === "fulfilled") spawned++;
  const spawnMs = performance.now() - t0;
  const alive = childrenOfUs().length - before.children;
  const t1 = performance.now();
  let killed = 0;
  for (const k of kids) if (k.kill("SIGKILL")) killed++;
  const killMs = performance.now() - t1;
  let reaped = 0;
  for (const r of await Promise.allSettled(kids.map((k) => k.exited))) {
    if (r.status === "fulfilled" && r.value.signal === "SIGKILL") reaped++;
  }
  const reapMs = performance.now() - t1;
  kids.length = 0;
  await settle();
  const after = snapshot();
  return {
    children: n,
    spawned,
    alive,
    killed,
    reaped,
    left: childrenOfUs().length - before.children,
    zombies: zombieChildren(),
    nofile: nofileLimit().soft,
    before,
    after,
    first100: dist(times.slice(0, 100)),
    last100: dist(times.slice(-100)),
    all: dist(times),
    spawnMs,
    killMs,
    reapMs,
  };
}

// ---- malformed calls --------------------------------------------------------

/** What the table's calls may use: files, fds and children made for them. */
export interface BadContext {
  dir: string;
  /** a 0644 file */
  plain: string;
  /** a 0755 file with no #! and no ELF header */
  junk: string;
  /** a 0755 script whose interpreter does not exist */
  badShebang: string;
  /** a running child to call kill() on */
  sleeper: Subprocess;
  /** children made by the calls, killed at the end */
  extra: Subprocess[];
  cleanup(): Promise<void>;
}

export async function badContext(): Promise<BadContext> {
  const dir = mkdtempSync(`${tmpdir()}/aspawn-bad-`);
  const plain = `${dir}/plain`, junk = `${dir}/junk`, badShebang = `${dir}/bad-shebang`;
  writeFileSync(plain, "echo hi\n");
  chmodSync(plain, 0o644);
  writeFileSync(junk, new Uint8Array([0x00, 0x01, 0x02, 0xfe, 0xff, 0x10, 0x20, 0x30]));
  chmodSync(junk, 0o755);
  writeFileSync(badShebang, "#!/nonexistent/interpreter\n");
  chmodSync(badShebang, 0o755);
  symlinkSync(`${dir}/loop`, `${dir}/loop`);
  await run("mkfifo", [`${dir}/fifo`]);
  const sleeper = spawn("sleep", ["100"], { stdout: "ignore" });
  const extra: Subprocess[] = [];
  return {
    dir, plain, junk, badShebang, sleeper, extra,
    async cleanup() {
      for (const p of [sleeper, ...extra]) p.kill("SIGKILL");
      await Promise.allSettled([sleeper, ...extra].map((p) => p.exited));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface BadCase {
  name: string;
  call(ctx: BadContext): unknown;
  error: "TypeError" | "SpawnError";
  /** SpawnError: its code and step */
  code?: string;
  step?: string;
  /** thrown by the call itself (TypeErrors always are) rather than rejecting spawned/exited */
  sync?: boolean;
  message?: RegExp;
}

const KiB = 1024;
const big = (n: number, c = "x") => c.repeat(n);
/** An unread stdout of a child of ours (killed at cleanup). */
const stdoutOf = (ctx: BadContext, file = "sleep", args = ["100"]) => {
  const p = spawn(file, args);
  ctx.extra.push(p);
  return p.stdout!;
};

/**
 * Malformed calls. Not repeating test/cases/validation.test.ts nor the
 * option tables of preexec.test.ts. SpawnErrors are asynchronous (spawned
 * and exited reject) unless `sync`.
 */
export const badCases: BadCase[] = [
  // -- types
  { name: "file undefined", call: () => spawn(undefined as never), error: "TypeError", message: /file must be a string/ },
  { name: "file null", call: () => spawn(null as never), error: "TypeError", message: /file must be a string/ },
  { name: "file a Symbol", call: () => spawn(Symbol("x") as never), error: "TypeError", message: /file must be a string/ },
  { name: "file a String object", call: () => spawn(new String("true") as never), error: "TypeError", message: /file must be a string/ },
  { name: "undefined in args", call: () => spawn("true", ["a", undefined as never]), error: "TypeError", message: /args\[1\] must be a string/ },
  { name: "null in args", call: () => spawn("true", [null as never]), error: "TypeError", message: /args\[0\] must be a string/ },
  { name: "NUL in a later arg", call: () => spawn("true", ["ok", "also ok", "bad\0"]), error: "TypeError", message: /args\[2\].*NUL/ },
  { name: "options a number", call: () => spawn("true", [], 5 as never), error: "TypeError", message: /options must be an object/ },
  { name: "run() options a string", call: () => run("true", "x" as never), error: "TypeError", message: /options must be an object/ },
  { name: "env a string", call: () => spawn("true", [], { env: "A=B" as never }), error: "TypeError", message: /env must be an object/ },
  { name: "env value an object", call: () => spawn("true", [], { env: { A: {} as never } }), error: "TypeError", message: /env\.A must be a string/ },
  { name: "NUL in an env key", call: () => spawn("true", [], { env: { "A\0B": "x" } }), error: "TypeError", message: /env keys/ },
  { name: "cwd a number", call: () => spawn("true", [], { cwd: 1 as never }), error: "TypeError", message: /cwd must be a string/ },
  { name: "argv0 a number", call: () => spawn("true", [], { argv0: 0 as never }), error: "TypeError", message: /argv0 must be a string/ },
  // -- stdio
  { name: "stdin true", call: () => spawn("true", [], { stdin: true as never }), error: "TypeError", message: /stdio\[0\]/ },
  { name: "stdin a plain object", call: () => spawn("true", [], { stdin: {} as never }), error: "TypeError", message: /stdio\[0\]/ },
  { name: "stdin a foreign ReadableStream", call: () => spawn("cat", [], { stdin: new ReadableStream() }), error: "TypeError", message: /only the stdout or stderr stream of another Subprocess/ },
  {
    name: "a stream piped twice (two spawns)",
    call: (ctx) => {
      const s = stdoutOf(ctx);
      ctx.extra.push(spawn("cat", [], { stdin: s, stdout: "ignore" }));
      return spawn("cat", [], { stdin: s });
    },
    error: "TypeError", message: /already read, piped/,
  },
  {
    name: "a stream piped twice (one spawn, two fds)",
    call: (ctx) => {
      const s = stdoutOf(ctx);
      return spawn("cat", [], { stdio: [s, "pipe", "inherit", s] as never });
    },
    error: "TypeError", message: /already read, piped/,
  },
  {
    name: "a stream locked by a reader",
    call: (ctx) => {
      const s = stdoutOf(ctx);
      s.getReader();
      return spawn("cat", [], { stdin: s });
    },
    error: "TypeError", message: /already read, piped/,
  },
  {
    name: "a stream cancelled",
    call: async (ctx) => {
      const s = stdoutOf(ctx);
      await s.cancel();
      return spawn("cat", [], { stdin: s });
    },
    error: "TypeError", message: /already read, piped|cancelled/,
  },
  { name: "stdio[4] true", call: () => spawn("true", [], { stdio: ["ignore", "pipe", "inherit", null, true as never] }), error: "TypeError", message: /stdio\[4\]/ },
  { name: "stdout NaN", call: () => spawn("true", [], { stdout: NaN }), error: "TypeError", message: /stdio\[1\]/ },
  { name: "stdout Infinity", call: () => spawn("true", [], { stdout: Infinity }), error: "TypeError", message: /stdio\[1\]/ },
  // -- durations and signals
  { name: "timeout a string", call: () => spawn("true", [], { timeout: "100" as never }), error: "TypeError", message: /timeout/ },
  { name: "timeout fractional", call: () => spawn("true", [], { timeout: 1.5 }), error: "TypeError", message: /timeout/ },
  { name: "forceKillAfter negative", call: () => spawn("true", [], { forceKillAfter: -1 }), error: "TypeError", message: /forceKillAfter/ },
  { name: "killSignal 33 (glibc's)", call: () => spawn("true", [], { killSignal: 33 }), error: "TypeError", message: /not 32 or 33/ },
  { name: "killSignal SIGRTMIN+31 (65)", call: () => spawn("true", [], { killSignal: "SIGRTMIN+31" as never }), error: "TypeError", message: /killSignal must be a signal/ },
  { name: "kill(0)", call: (ctx) => ctx.sleeper.kill(0), error: "TypeError", message: /signal number from 1 to 64/ },
  { name: "kill(65)", call: (ctx) => ctx.sleeper.kill(65), error: "TypeError", message: /signal number from 1 to 64/ },
  { name: "kill(-9)", call: (ctx) => ctx.sleeper.kill(-9), error: "TypeError", message: /signal number from 1 to 64/ },
  { name: "kill(NaN)", call: (ctx) => ctx.sleeper.kill(NaN), error: "TypeError", message: /signal number/ },
  // -- limits (the option TypeErrors are in preexec.test.ts)
  { name: "stdio of 5000 entries (the native limit is 4096)", call: () => spawn("true", [], { stdio: Array(5000).fill(0) }), error: "TypeError", message: /stdio/ },
  { name: "run() maxBuffer 0", call: () => run("true", [], { maxBuffer: 0 }), error: "TypeError", message: /maxBuffer/ },
  { name: "run() maxBuffer NaN", call: () => run("true", [], { maxBuffer: NaN }), error: "TypeError", message: /maxBuffer/ },
  // -- pipelines
  { name: "pipeline of nothing", call: () => pipeline([]), error: "TypeError", message: /at least one stage/ },
  { name: "pipeline not an array", call: () => pipeline("cat" as never), error: "TypeError", message: /at least one stage/ },
  { name: "pipeline stage a string", call: () => pipeline([["cat"], "wc" as never]), error: "TypeError", message: /stage 1 must be/ },
  { name: "pipeline stage 1 with its own stdin", call: () => pipeline([["cat"], ["cat", [], { stdin: "pipe" }]]), error: "TypeError", message: /stage 1: its stdin/ },
  { name: "pipeline middle stdout not a pipe", call: () => pipeline([["cat", [], { stdout: "ignore" }], ["cat"]]), error: "TypeError", message: /must be "pipe"/ },
  { name: "pipeline stage 1 with stdio[0]", call: () => pipeline([["cat"], ["cat", [], { stdio: [0] }]]), error: "TypeError", message: /stdio\[0\] is the link to stage 0/ },
  { name: "pipeline stage 0 with stdio[1]", call: () => pipeline([["cat", [], { stdio: [undefined, 1] }], ["cat"]]), error: "TypeError", message: /stdio\[1\] is the link to stage 1/ },
  {
    name: "pipeline fed a stream another pipeline consumes",
    call: (ctx) => {
      const p = pipeline([["sleep", ["100"]], ["cat", [], { stdout: "ignore" }]]);
      ctx.extra.push(...p.stages);
      return pipeline([["cat", [], { stdin: p.stages[0]!.stdout! }], ["cat"]]);
    },
    error: "TypeError", message: /already read, piped/,
  },
  {
    name: "pipeline fed its own first stage's output (cycle)",
    call: (ctx) => {
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
  { name: "a non-executable file", call: (ctx) => spawn(ctx.plain), error: "SpawnError", code: "EACCES", step: "execve" },
  { name: "a non-executable file found in PATH", call: (ctx) => spawn("plain", [], { env: { PATH: ctx.dir } }), error: "SpawnError", code: "EACCES", step: "execve" },
  { name: "an executable that is no program (no shell fallback)", call: (ctx) => spawn(ctx.junk), error: "SpawnError", code: "ENOEXEC", step: "execve" },
  { name: "a script whose interpreter is missing", call: (ctx) => spawn(ctx.badShebang), error: "SpawnError", code: "ENOENT", step: "execve" },
  { name: "relative path, no cwd", call: () => spawn("./definitely-not-here"), error: "SpawnError", code: "ENOENT", step: "execve" },
  { name: "relative path valid only in another cwd", call: () => spawn("bin/true"), error: "SpawnError", code: "ENOENT", step: "execve" },
  { name: "relative path with a cwd that lacks it", call: () => spawn("./true", [], { cwd: "/tmp" }), error: "SpawnError", code: "ENOENT", step: "execve" },
  { name: "relative path with a missing cwd", call: () => spawn("bin/true", [], { cwd: "/nonexistent-dir" }), error: "SpawnError", code: "ENOENT", step: "chdir" },
  { name: "cwd a regular file", call: (ctx) => spawn("true", [], { cwd: ctx.plain }), error: "SpawnError", code: "ENOTDIR", step: "chdir" },
  { name: "cwd empty", call: () => spawn("true", [], { cwd: "" }), error: "SpawnError", code: "ENOENT", step: "chdir" },
  { name: "file name of 5000 bytes", call: () => spawn(`/${big(5000, "a")}`), error: "SpawnError", code: "ENAMETOOLONG", step: "execve" },
  { name: "path component of 300 bytes", call: () => spawn(`/tmp/${big(300, "a")}`), error: "SpawnError", code: "ENAMETOOLONG", step: "execve" },
  { name: "a symlink loop as file", call: (ctx) => spawn(`${ctx.dir}/loop`), error: "SpawnError", code: "ELOOP", step: "execve" },
  { name: "a FIFO as file", call: (ctx) => spawn(`${ctx.dir}/fifo`), error: "SpawnError", code: "EACCES", step: "execve" },
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
  { name: "cgroup a regular file", call: (ctx) => spawn("true", [], { cgroup: ctx.plain }), error: "SpawnError", code: "ENOTDIR", step: "cgroup", sync: true },
  { name: "run() of a missing program", call: () => run("definitely-not-a-command-xyz"), error: "SpawnError", code: "ENOENT", step: "execve" },
];

/** How a malformed call came out: null when as documented, else what happened. */
export async function checkBad(c: BadCase, ctx: BadContext, timeoutMs = 5000): Promise<string | null> {
  const expectSync = c.error === "TypeError" || c.sync === true;
  const judge = (e: unknown, how: string): string | null => {
    const cls = c.error === "TypeError" ? TypeError : SpawnError;
    if (!(e instanceof cls) || (c.error === "TypeError" && e instanceof SpawnError)) {
      return `${how}: expected ${c.error}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
    }
    if (c.message && !c.message.test((e as Error).message)) return `${how}: message ${JSON.stringify((e as Error).message)}`;
    if (e instanceof SpawnError) {
      if (c.code && e.code !== c.code) return `${how}: code ${e.code} (step ${e.step}), expected ${c.code}`;
      if (c.step && e.step !== c.step) return `${how}: step ${e.step}, expected ${c.step}`;
    }
    return null;
  };
  let value: unknown;
  try {
    value = c.call(ctx);
  } catch (e) {
    return expectSync ? judge(e, "thrown") : `thrown synchronously: ${judge(e, "thrown") ?? (e as Error).message}`;
  }
  const timeout = new Promise<"hang">((r) => setTimeout(() => r("hang"), timeoutMs));
  if (value instanceof Promise) {
    // run() and async calls: the error arrives as a rejection.
    const r = await Promise.race([value.then((v) => ({ v }), (e) => ({ e })), timeout]);
    if (r === "hang") return "hang";
    if ("e" in r) {
      if (c.sync && c.error !== "TypeError") return `rejected instead of thrown: ${(r.e as Error).message}`;
      return judge(r.e, "rejected");
    }
    value = r.v;
    if (!(value && typeof value === "object" && "exited" in value)) return `resolved with ${String(value)}`;
  }
  if (value && typeof value === "object" && "exited" in value) {
    const p = value as Subprocess;
    if ("pid" in p) ctx.extra.push(p);
    if (expectSync) return `no error thrown: a child started (${(p as Subprocess).pid})`;
    const [a, b] = await Promise.race([
      Promise.all([p.spawned.then(() => null, (e) => e), p.exited.then(() => null, (e) => e)]),
      timeout.then(() => ["hang", "hang"]),
    ]);
    if (a === "hang") return "hang";
    if (a === null) return "spawned resolved: the program ran";
    return judge(a, "spawned") ?? (b === a ? null : `exited rejected differently: ${String(b)}`);
  }
  return `no error: returned ${String(value)}`;
}

// ---- fixtures -----------------------------------------------------------------

export interface HardFixtureResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** the last line of stdout as JSON, if it is */
  json?: any;
}

/** The command running test/fixtures/NAME.ts on this runtime, with the GC exposed. */
export async function fixtureCommand(name: string, extraBundles: string[] = [], v8Flags = V8_FLAGS): Promise<string[]> {
  const src = `${root}test/fixtures/${name}.ts`;
  if (runtime === "bun") return [process.execPath, src];
  if (runtime === "deno") {
    return [process.execPath, "run", "--no-check", "--allow-all", ...(v8Flags.length ? [`--v8-flags=${v8Flags.join(",")}`] : []), src];
  }
  for (const b of extraBundles) await bundleFixture(b);
  return [process.execPath, ...v8Flags, await bundleFixture(name)];
}

/**
 * Runs a hardening fixture in a fresh process of this runtime, optionally
 * under `ulimit` settings (e.g. "-n 20000"), killed after timeoutMs; with
 * V8_FLAGS unless `plain` (the runtime's defaults, as users run it).
 */
export async function runHard(
  name: string,
  args: string[] = [],
  opts: {
    ulimit?: string;
    timeoutMs?: number;
    bundles?: string[];
    env?: Record<string, string>;
    plain?: boolean;
    /** shell redirections applied to the fixture's exec, e.g. "0<&- 1>&- 2>&-" */
    redirect?: string;
    /** a launcher the command is appended to (it execs it) */
    launcher?: string[];
  } = {},
): Promise<HardFixtureResult> {
  let cmd = await fixtureCommand(name, opts.bundles, opts.plain ? [] : V8_FLAGS);
  if (opts.launcher) cmd = [...opts.launcher, ...cmd];
  if (opts.ulimit || opts.redirect) {
    const limit = opts.ulimit ? `ulimit ${opts.ulimit} && ` : "";
    cmd = ["/bin/sh", "-c", `${limit}exec "$@" ${opts.redirect ?? ""}`, "sh", ...cmd];
  }
  const t0 = performance.now();
  const r = await new Promise<HardFixtureResult>((resolve, reject) => {
    const child = spawnNode(cmd[0]!, [...cmd.slice(1), ...args], {
      cwd: root,
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "", stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("error", reject);
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 });
    });
  });
  const last = r.stdout.trim().split("\n").pop() ?? "";
  try {
    r.json = JSON.parse(last);
  } catch {
    // not JSON: the caller shows stdout and stderr
  }
  return r;
}

/** Change a process's soft (and hard) RLIMIT_NOFILE / RLIMIT_AS with util-linux prlimit, through our own run(). */
export async function prlimit(pid: number, resource: "nofile" | "as", soft: number | "unlimited", hard: number | "unlimited"): Promise<void> {
  await run("prlimit", ["--pid", String(pid), `--${resource}=${soft}:${hard}`]);
}

/** Every malformed call, in a fresh context; the problems found (empty: all as documented). */
export async function runBadCases(): Promise<string[]> {
  const ctx = await badContext();
  const failures: string[] = [];
  for (const c of badCases) {
    const problem = await checkBad(c, ctx);
    if (problem) failures.push(`${c.name}: ${problem}`);
  }
  await ctx.cleanup();
  return failures;
}
