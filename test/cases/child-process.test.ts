// aspawn/child_process: ChildProcess and spawn() on real processes, checked
// against what Node's child_process does (and, on Node, against
// node:child_process itself, the same call through both).
import * as nodeCp from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import cp, { ChildProcess, spawn } from "../../src/child_process/index.ts";
import { runtime } from "../../src/ffi/runtime.ts";
import { assert, nativeTest, test } from "../adapter.ts";
import { runSync, spawn as aspawnSpawn } from "../../src/index.ts";
import { record } from "../child-process-events.ts";
import { runFixture } from "../fixtures.ts";
import { repoRoot } from "../repo-root.ts";
import { until } from "../wait.ts";

test("child_process: events in Node's order, output, exit code", async () => {
  const child = spawn("sh", ["-c", "echo out; echo err >&2; exit 3"]);
  assert.ok(child instanceof ChildProcess);
  assert.equal(typeof child.pid, "number");
  const r = await record(child);
  assert.deepEqual(r.events, ["spawn", "exit 3 null", "close 3 null"]);
  assert.equal(r.stdout, "out\n");
  assert.equal(r.stderr, "err\n");
  assert.equal(child.exitCode, 3);
  assert.equal(child.signalCode, null);
  assert.equal(child.spawnfile, "sh");
  assert.deepEqual(child.spawnargs, ["sh", "-c", "echo out; echo err >&2; exit 3"]);
  assert.equal(child.stdio[1], child.stdout);
  assert.equal(child.stdio[2], child.stderr);
  assert.equal(child.stdio[0], child.stdin);
});

test("child_process: no data before spawn; close waits for the output even when nobody reads it", async () => {
  const child = spawn("sh", ["-c", "head -c 300000 /dev/zero"]);
  const seen: string[] = [];
  child.on("spawn", () => seen.push("spawn"));
  child.stdout!.once("data", () => seen.push("data"));
  const r = await record(child);
  assert.deepEqual(seen, ["spawn", "data"]);
  assert.deepEqual(r.close, [0, null]);
  // Never read at all: Node drains it after the exit, and close still comes.
  const unread = await record(spawn("sh", ["-c", "head -c 300000 /dev/zero"]));
  assert.deepEqual(unread.events, ["spawn", "exit 0 null", "close 0 null"]);
});

test("child_process: the same call again (kept) still sees every change to its args, options, environment, PATH and directory", async () => {
  const execFile = (file: string, args: string[], options?: object) => new Promise<string>((resolve, reject) => {
    cp.execFile(file, args, options ?? {}, (e, stdout) => (e ? reject(e) : resolve(stdout as string)));
  });
  const args = ["-c", "echo $1 $ASPAWN_CP_AGAIN; pwd", "sh", "one"];
  const options: Record<string, unknown> = { timeout: 60000 };
  const base = process.cwd(), dir = mkdtempSync(`${tmpdir()}/aspawn-cp-again-`);
  const path = process.env.PATH;
  try {
    process.env.ASPAWN_CP_AGAIN = "env1";
    // Three times in a row: the second call is kept, the third served from it.
    for (let i = 0; i < 3; i++) assert.equal(await execFile("sh", args, options), `one env1\n${base}\n`);
    args[3] = "two"; // the same array, changed in place
    for (let i = 0; i < 3; i++) assert.equal(await execFile("sh", args, options), `two env1\n${base}\n`);
    process.env.ASPAWN_CP_AGAIN = "env2";
    assert.equal(await execFile("sh", args, options), `two env2\n${base}\n`);
    process.chdir(dir);
    assert.equal(await execFile("sh", args, options), `two env2\n${dir}\n`);
    process.chdir(base);
    options.cwd = dir; // a key added to the same object
    for (let i = 0; i < 3; i++) assert.equal(await execFile("sh", args, options), `two env2\n${dir}\n`);
    delete options.cwd;
    // A program found in PATH before, not after PATH changed: Node's ENOENT, with no pid.
    for (let i = 0; i < 2; i++) assert.equal(spawn("sh", ["-c", "exit 0"]).pid !== undefined, true);
    process.env.PATH = dir;
    const missing = spawn("sh", ["-c", "exit 0"]);
    assert.equal(missing.pid, undefined);
    const e = await new Promise<NodeJS.ErrnoException>((resolve) => missing.on("error", resolve));
    assert.equal(e.code, "ENOENT");
    process.env.PATH = path;
    // A getter is read at every call: its new value counts.
    let shell: unknown = false;
    const o = Object.defineProperty({}, "shell", { enumerable: true, get: () => shell });
    for (let i = 0; i < 3; i++) assert.equal(await execFile("echo", ["$0"], o), "$0\n");
    shell = true;
    assert.equal(await execFile("echo", ["$0"], o), "/bin/sh\n");
    // An option that is now only inherited is not an option.
    const p: Record<string, unknown> = { cwd: dir };
    for (let i = 0; i < 2; i++) assert.equal(await execFile("pwd", [], p), `${dir}\n`);
    delete p.cwd;
    Object.setPrototypeOf(p, { cwd: dir });
    assert.equal(await execFile("pwd", [], p), `${base}\n`);
  } finally {
    process.env.PATH = path;
    process.chdir(base);
    delete process.env.ASPAWN_CP_AGAIN;
    rmSync(dir, { recursive: true, force: true });
  }
});

test("child_process: a kept call keeps what the call read (args read once, before the options), and a wrapper of ChildProcess#spawn may change its options", async () => {
  const out = (child: ChildProcess) => new Promise<string>((resolve) => {
    let s = "";
    child.stdout!.on("data", (d) => (s += d));
    child.on("close", () => resolve(s));
  });
  // An arg whose toString() changes the caller's array: the call runs "Z", and what is kept is "Z" too.
  const args: unknown[] = [];
  args[0] = { toString: () => ((args[0] = "A"), "Z") };
  assert.equal(await out(spawn("echo", args as string[])), "Z\n");
  for (let i = 0; i < 2; i++) assert.equal(await out(spawn("echo", ["A"])), "A\n");
  // A getter of an option that changes args: Node has read args already.
  const later = ["before"];
  const getter = { get stdio() { later[0] = "after"; return "pipe"; } } as object;
  assert.equal(await out(spawn("echo", later, getter)), "before\n");
  // Instrumentation that wraps ChildProcess#spawn and changes the options it is given.
  const proto = ChildProcess.prototype as unknown as { spawn(o: Record<string, unknown>): number };
  const own = proto.spawn;
  try {
    proto.spawn = function (this: unknown, o) {
      o.cwd = "/";
      return own.call(this, o);
    };
    for (let i = 0; i < 3; i++) assert.equal(await out(spawn("pwd", [], { stdio: "pipe" })), "/\n");
  } finally {
    proto.spawn = own;
  }
  for (let i = 0; i < 2; i++) assert.equal(await out(spawn("pwd", [], { stdio: "pipe" })), `${process.cwd()}\n`);
});

test("child_process: a missing program is an asynchronous error with Node's shape, then close(-2)", async () => {
  const child = spawn("aspawn-no-such-program", ["a", "b"]);
  assert.equal(child.exitCode, null, "exitCode is set with the error, as Node's onErrorNT sets it");
  let sync = true;
  child.on("error", () => assert.equal(sync, false, "error is emitted asynchronously"));
  const done = record(child);
  sync = false;
  const r = await done;
  assert.deepEqual(r.events, ["error", "close -2 null"]);
  const e = r.errors[0] as Error & Record<string, unknown>;
  assert.equal(e.message, "spawn aspawn-no-such-program ENOENT");
  assert.equal(e.code, "ENOENT");
  assert.equal(e.errno, -2);
  assert.equal(e.syscall, "spawn aspawn-no-such-program");
  assert.equal(e.path, "aspawn-no-such-program");
  assert.deepEqual(e.spawnargs, ["a", "b"]);
  assert.equal(child.pid, undefined);
  assert.equal(child.exitCode, -2);
  assert.equal(child.kill(), false, "nothing to signal");
});

test("child_process: a write to the stdin of a program that never ran fails with EPIPE, as Node's, after `error`; stdin emits no error", async () => {
  // A program not found, and a cwd that fails the child after it started;
  // each written at once and after an await (inside a microtask).
  for (const [file, options] of [["aspawn-no-such-program", {}], ["cat", { cwd: "/aspawn/no/such/dir" }]] as const) {
    for (const late of [false, true]) {
      if (late) await Promise.resolve();
      const order: string[] = [];
      const child = spawn(file, [], options);
      child.on("error", (e) => order.push(`error ${(e as { code?: string }).code}`));
      child.stdin!.on("error", (e) => order.push(`stdin error ${(e as { code?: string }).code}`));
      const written = new Promise<unknown>((r) => child.stdin!.write("data nobody reads", r));
      const e = await written as Error & Record<string, unknown>;
      assert.equal(e?.code, "EPIPE", `${file} ${late}: ${e}`);
      assert.equal(e.message, "write EPIPE");
      assert.equal(e.errno, -32);
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(order, ["error ENOENT"], `${file} ${late}`);
    }
  }
});

test("child_process: a missing cwd is reported as Node reports it (spawn FILE ENOENT)", async () => {
  const r = await record(spawn("true", { cwd: "/aspawn/no/such/dir" }));
  const e = r.errors[0] as Error & Record<string, unknown>;
  assert.equal(e.message, "spawn true ENOENT");
  assert.equal(e.path, "true");
  assert.deepEqual(r.events, ["error", "close -2 null"]);
});

test("child_process: stdout's close comes after exit, with exitCode set, as in Node", async () => {
  for (let i = 0; i < 5; i++) {
    const events: string[] = [];
    const c = spawn("sh", ["-c", "echo hi; exit 3"]);
    c.stdout!.resume();
    c.stdout!.on("close", () => events.push(`stdout close ${c.exitCode}`));
    c.on("exit", (code) => events.push(`exit ${code}`));
    await new Promise((resolve) => c.on("close", resolve));
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(events.slice(0, 2), ["exit 3", "stdout close 3"]);
  }
});

test("child_process: a cwd that is a file throws spawn ENOTDIR, as Node's spawn, exec and execFile do", () => {
  for (const call of [() => spawn("pwd", [], { cwd: "/etc/passwd" }), () => cp.execFile("pwd", { cwd: "/etc/passwd" }), () => cp.exec("pwd", { cwd: "/etc/passwd" })]) {
    let e: (Error & Record<string, unknown>) | undefined;
    try {
      call();
    } catch (x) {
      e = x as Error & Record<string, unknown>;
    }
    assert.ok(e, "nothing thrown");
    assert.equal(e.message, "spawn ENOTDIR");
    assert.deepEqual([e.code, e.errno, e.syscall, e.path], ["ENOTDIR", -20, "spawn", undefined]);
  }
});

/** The message and code a call throws. */
function thrown(f: () => unknown): [string, string] {
  try {
    f();
  } catch (e) {
    return [(e as { code: string }).code, (e as Error).message];
  }
  return ["", "nothing thrown"];
}

/** The module without its types: the calls below are wrong on purpose. */
const loose = cp as unknown as Record<"spawn" | "exec" | "execFile" | "fork", (...args: unknown[]) => unknown>;

const badCalls: [string, () => unknown, string, string][] = [
  ["file", () => loose.spawn(1 as never), "ERR_INVALID_ARG_TYPE", 'The "file" argument must be of type string. Received type number (1)'],
  ["empty file", () => loose.spawn(""), "ERR_INVALID_ARG_VALUE", "The argument 'file' cannot be empty. Received ''"],
  ["NUL in file", () => loose.spawn("a\0b"), "ERR_INVALID_ARG_VALUE", "The argument 'file' must be a string without null bytes. Received 'a\\x00b'"],
  ["args", () => loose.spawn("ls", 1 as never), "ERR_INVALID_ARG_TYPE", 'The "args" argument must be of type object. Received type number (1)'],
  ["NUL in args", () => loose.spawn("ls", ["a\0"]), "ERR_INVALID_ARG_VALUE", "The argument 'args[0]' must be a string without null bytes. Received 'a\\x00'"],
  ["options", () => loose.spawn("ls", [], 1 as never), "ERR_INVALID_ARG_TYPE", 'The "options" argument must be of type object. Received type number (1)'],
  ["uid", () => loose.spawn("ls", { uid: "x" }), "ERR_INVALID_ARG_TYPE", `The "options.uid" property must be int32. Received type string ('x')`],
  ["gid", () => loose.spawn("ls", { gid: 1.5 }), "ERR_INVALID_ARG_TYPE", 'The "options.gid" property must be int32. Received type number (1.5)'],
  ["shell", () => loose.spawn("ls", { shell: 1 }), "ERR_INVALID_ARG_TYPE", 'The "options.shell" property must be one of type boolean or string. Received type number (1)'],
  ["cwd", () => loose.spawn("ls", { cwd: 1 }), "ERR_INVALID_ARG_TYPE", 'The "options.cwd" property must be of type string or an instance of Buffer or URL. Received type number (1)'],
  ["detached", () => loose.spawn("ls", { detached: 1 }), "ERR_INVALID_ARG_TYPE", 'The "options.detached" property must be of type boolean. Received type number (1)'],
  ["argv0", () => loose.spawn("ls", { argv0: 1 }), "ERR_INVALID_ARG_TYPE", 'The "options.argv0" property must be of type string. Received type number (1)'],
  ["timeout", () => loose.spawn("ls", { timeout: -1 }), "ERR_OUT_OF_RANGE", 'The value of "timeout" is out of range. It must be an unsigned integer. Received -1'],
  ["killSignal name", () => loose.spawn("ls", { killSignal: "FOO" }), "ERR_UNKNOWN_SIGNAL", "Unknown signal: FOO"],
  ["killSignal type", () => loose.spawn("ls", { killSignal: {} }), "ERR_INVALID_ARG_TYPE", 'The "options.killSignal" property must be one of type string or number. Received an instance of Object'],
  ["signal", () => loose.spawn("ls", { signal: {} }), "ERR_INVALID_ARG_TYPE", 'The "options.signal" property must be an instance of AbortSignal. Received an instance of Object'],
  ["stdio word", () => loose.spawn("ls", { stdio: "foo" }), "ERR_INVALID_ARG_VALUE", "The argument 'stdio' is invalid. Received 'foo'"],
  ["stdio input", () => loose.spawn("ls", { stdio: ["foo"] }), "ERR_INVALID_SYNC_FORK_INPUT", "Asynchronous forks do not support Buffer, TypedArray, DataView or string input: 'foo'"],
  ["two ipc", () => loose.spawn("ls", { stdio: ["pipe", "pipe", "pipe", "ipc", "ipc"] }), "ERR_IPC_ONE_PIPE", "Child process can have only one IPC pipe"],
  ["serialization", () => loose.spawn("ls", { serialization: "x" }), "ERR_INVALID_ARG_VALUE", "The property 'options.serialization' must be one of: undefined, 'json', 'advanced'. Received 'x'"],
  ["NUL in env", () => loose.spawn("ls", { env: { A: "a\0" } }), "ERR_INVALID_ARG_VALUE", "The property 'options.env['A']' must be a string without null bytes. Received 'a\\x00'"],
  ["maxBuffer", () => loose.execFile("ls", [], { maxBuffer: -1 }), "ERR_OUT_OF_RANGE", 'The value of "options.maxBuffer" is out of range. It must be a positive number. Received -1'],
  ["fork without ipc", () => loose.fork("x", { stdio: ["pipe", "pipe", "pipe"] }), "ERR_CHILD_PROCESS_IPC_REQUIRED", "Forked processes must have an IPC channel, missing value 'ipc' in options.stdio"],
  ["exec callback", () => loose.execFile("ls", [], {}, 1 as never), "ERR_INVALID_ARG_TYPE", 'The "callback" argument must be of type function. Received type number (1)'],
  ["command", () => loose.exec(1 as never), "ERR_INVALID_ARG_TYPE", 'The "command" argument must be of type string. Received type number (1)'],
];

test("child_process: Node's argument errors, codes and messages, before anything runs", () => {
  for (const [what, call, code, message] of badCalls) {
    assert.deepEqual(thrown(call), [code, message], what);
  }
  const e = (() => {
    try {
      spawn(1 as never);
    } catch (e) {
      return e as Error;
    }
  })()!;
  assert.ok(e instanceof TypeError);
  assert.match(String(e), /^TypeError \[ERR_INVALID_ARG_TYPE\]: The "file"/);
});

if (runtime === "node") {
  test("child_process: the argument errors are node:child_process's own (the oracle)", () => {
    const calls: Record<string, (m: typeof cp) => unknown> = {
      file: (m) => m.spawn(1 as never),
      args: (m) => m.spawn("ls", 1 as never),
      uid: (m) => m.spawn("ls", { uid: "x" } as never),
      shell: (m) => m.spawn("ls", { shell: 1 } as never),
      cwd: (m) => m.spawn("ls", { cwd: 1 } as never),
      timeout: (m) => m.spawn("ls", { timeout: 1.5 } as never),
      stdio: (m) => m.spawn("ls", { stdio: "foo" } as never),
      signal: (m) => m.spawn("ls", { signal: "x" } as never),
      longString: (m) => m.spawn("ls", { argv0: 1 } as never, 1 as never),
      shellString: (m) => m.spawn("ls", { uid: "a string long enough to be cut short" } as never),
      symbol: (m) => m.spawn(Symbol("s") as never),
      fn: (m) => m.spawn(function named() {} as never),
      nul: (m) => m.spawn(null as never),
      maxBuffer: (m) => m.execFile("ls", { maxBuffer: "x" } as never),
      killSignal: (m) => m.execFile("ls", { killSignal: "SIGNOPE" } as never),
    };
    for (const [what, call] of Object.entries(calls)) {
      assert.deepEqual(thrown(() => call(cp)), thrown(() => call(nodeCp as unknown as typeof cp)), what);
    }
  });
}

test("child_process: stdio forms — inherit and ignore give null streams, an fd or a stream with an fd is passed", async () => {
  const dir = mkdtempSync(`${tmpdir()}/aspawn-cp-`);
  try {
    const inherit = spawn("true", { stdio: "inherit" });
    assert.deepEqual([inherit.stdin, inherit.stdout, inherit.stderr], [null, null, null]);
    assert.deepEqual((await record(inherit)).close, [0, null]);
    const fd = openSync(`${dir}/out`, "w");
    const child = spawn("sh", ["-c", "echo to-file; echo to-err >&2"], { stdio: ["ignore", fd, "pipe"] });
    closeSync(fd);
    assert.equal(child.stdout, null);
    assert.equal(child.stdin, null);
    const r = await record(child);
    assert.equal(r.stderr, "to-err\n");
    assert.equal(readFileSync(`${dir}/out`, "utf8"), "to-file\n");
    // stdin from /dev/null with "ignore"
    const ign = spawn("sh", ["-c", "readlink /proc/self/fd/0"], { stdio: ["ignore", "pipe", "inherit"] });
    assert.equal((await record(ign)).stdout, "/dev/null\n");
    // An object with an fd (a stream of this process): passed by its number.
    const fd2 = openSync(`${dir}/out2`, "w");
    const own = spawn("sh", ["-c", "echo via-object"], { stdio: ["ignore", { fd: fd2 }, "inherit"] } as never);
    closeSync(fd2);
    assert.equal((await record(own)).close[0], 0);
    assert.equal(readFileSync(`${dir}/out2`, "utf8"), "via-object\n");
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test("child_process: stdin is a Writable, and an extra 'pipe' is a Duplex both ways", async () => {
  const cat = spawn("cat");
  const done = record(cat);
  cat.stdin!.write("hello ");
  cat.stdin!.end(Buffer.from("world"));
  assert.equal((await done).stdout, "hello world");

  // The child reads fd 3 and writes back what it read, upper-cased.
  const child = spawn("sh", ["-c", "head -n 1 <&3 | tr a-z A-Z >&3"], { stdio: ["ignore", "inherit", "inherit", "pipe"] });
  const extra = child.stdio[3] as import("node:stream").Duplex;
  assert.ok(extra);
  let back = "";
  extra.on("data", (d) => (back += d));
  extra.write("shout\n");
  const r = await record(child);
  assert.equal(back, "SHOUT\n");
  assert.deepEqual(r.close, [0, null]);
});

test("child_process: kill() — Node's return values, killed, signalCode; unknown signals throw", async () => {
  const child = spawn("sleep", ["30"]);
  const done = record(child);
  await new Promise((r) => child.once("spawn", r));
  assert.equal(child.kill(0), true, "signal 0 probes a live child");
  assert.equal(child.kill("SIGUSR1" as never) && child.kill(), true);
  const r = await done;
  assert.equal(child.killed, true);
  assert.equal(child.signalCode, "SIGUSR1");
  assert.deepEqual(r.events, ["spawn", "exit null SIGUSR1", "close null SIGUSR1"]);
  assert.equal(child.kill(), false, "reaped: nothing sent");
  assert.deepEqual(thrown(() => child.kill("SIGNOPE" as never)), ["ERR_UNKNOWN_SIGNAL", "Unknown signal: SIGNOPE"]);
  const numbered = spawn("sleep", ["30"]);
  const n = record(numbered);
  assert.equal(numbered.kill(9), true);
  assert.equal((await n).close[1], "SIGKILL");
});

test("child_process: timeout sends killSignal; an AbortSignal kills and emits Node's AbortError", async () => {
  const t0 = performance.now();
  const timed = await record(spawn("sleep", ["30"], { timeout: 200, killSignal: "SIGINT" }));
  assert.deepEqual(timed.close, [null, "SIGINT"]);
  assert.ok(performance.now() - t0 < 10000);

  const ac = new AbortController();
  const child = spawn("sleep", ["30"], { signal: ac.signal });
  const done = record(child);
  setTimeout(() => ac.abort("why"), 100);
  const r = await done;
  assert.deepEqual(r.events, ["spawn", "error", "exit null SIGTERM", "close null SIGTERM"]);
  const e = r.errors[0] as Error & { code: string; cause: unknown };
  assert.equal(e.name, "AbortError");
  assert.equal(e.code, "ABORT_ERR");
  assert.equal(e.cause, "why");

  // Already aborted: killed at once, after `spawn` as in Node (was: `error` first); the error still comes asynchronously.
  const pre = await record(spawn("sleep", ["30"], { signal: AbortSignal.abort() }));
  assert.deepEqual(pre.events, ["spawn", "error", "exit null SIGTERM", "close null SIGTERM"]);
  assert.equal(pre.errors[0]?.name, "AbortError");
  assert.equal(pre.close[1], "SIGTERM");
});

test("child_process: shell joins the command and arguments as Node does; argv0, env, cwd", async () => {
  const sh = await record(spawn("echo", ["$0", "a  b"], { shell: true }));
  assert.equal(sh.stdout, "/bin/sh a b\n");
  const named = await record(spawn("echo $0", { shell: "/bin/sh", argv0: "custom" }));
  assert.equal(named.stdout, "custom\n");
  const env = await record(spawn("sh", ["-c", 'echo "$ONLY:$HOME"'], { env: { ONLY: "x" } }));
  assert.equal(env.stdout, "x:\n", "env replaces the environment");
  const inherited = await record(spawn("sh", ["-c", 'echo "$PATH"']));
  assert.equal(inherited.stdout, `${process.env.PATH}\n`);
  const cwd = await record(spawn("pwd", { cwd: new URL("file:///tmp") }));
  assert.equal(cwd.stdout, "/tmp\n");
});

test("child_process: detached starts a new session and process group", async () => {
  const child = spawn("sh", ["-c", "cat /proc/self/stat"], { detached: true });
  const r = await record(child);
  const fields = r.stdout.slice(r.stdout.lastIndexOf(")") + 2).split(" ");
  const [pgrp, session] = [Number(fields[2]), Number(fields[3])];
  assert.equal(pgrp, child.pid);
  assert.equal(session, child.pid);
});

test("child_process: an unref'd child does not keep its parent alive, and outlives it as Node's children do", async () => {
  const dir = mkdtempSync(`${tmpdir()}/aspawn-cp-`);
  try {
    const r = await runFixture("cp-orphan", [`${dir}/survived`], { timeoutMs: 15000 });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.ms < 5000, `the parent exited after ${Math.round(r.ms)} ms, not before its child (6 s)`);
    assert.ok(!existsSync(`${dir}/survived`));
    assert.ok(await until(() => existsSync(`${dir}/survived`), 15000), "the child died with its parent");
  } finally {
    rmSync(dir, { recursive: true });
  }
}, 40000);

test("child_process: unref() lets the process exit while the child runs; [Symbol.dispose] kills", async () => {
  const child = spawn("sleep", ["30"], { stdio: "ignore" });
  child.unref();
  child.ref();
  const done = record(child);
  child[Symbol.dispose]();
  assert.equal((await done).close[1], "SIGTERM");
  assert.equal(child.killed, true);
});

test("child_process: new ChildProcess().spawn() with Node's internal options, and the default export", async () => {
  // Node's ChildProcess has spawn() too, though its types leave it out.
  // It returns 0, or the -errno it then reports through `error`; spawnfile is null before it.
  type Internal = { spawn(options: object): number };
  const child = new ChildProcess();
  assert.equal(child.spawnfile, null);
  assert.equal((child as unknown as Internal).spawn({ file: "sh", args: ["sh", "-c", "echo $X"], envPairs: ["X=pairs"], stdio: "pipe" }), 0);
  assert.equal((await record(child)).stdout, "pairs\n");
  const missing = new ChildProcess();
  const error = new Promise<NodeJS.ErrnoException>((r) => missing.once("error", r));
  assert.equal((missing as unknown as Internal).spawn({ file: "/nonexistent/aspawn-x", args: ["x"], stdio: "pipe" }), -2);
  assert.equal((await error).code, "ENOENT");
  assert.deepEqual(Object.keys(cp).sort(), ["ChildProcess", "exec", "execFile", "execFileSync", "execSync", "fork", "spawn", "spawnSync"]);
  assert.deepEqual(thrown(() => (new ChildProcess() as unknown as Internal).spawn({ file: 1 })), [
    "ERR_INVALID_ARG_TYPE",
    'The "options.file" property must be of type string. Received type number (1)',
  ]);
});

test("child_process: exits known together are reported one a turn, in spawn order, after the output already read", async () => {
  const busy = (ms: number) => {
    for (const t = Date.now(); Date.now() - t < ms;); // both children end meanwhile: their news comes together
  };
  const closed = (c: ChildProcess) => new Promise((r) => c.on("close", r));
  for (let i = 0; i < 5; i++) {
    const a = spawn("sh", ["-c", "echo a"]), b = spawn("sh", ["-c", "echo b"]);
    const events: string[] = [];
    let outA = "";
    a.stdout!.on("data", (d) => (outA += d));
    b.stdout!.resume();
    a.on("exit", () => events.push(`a exit, output ${JSON.stringify(outA)}`));
    b.on("exit", () => events.push("b exit"));
    let drained = false;
    a.on("close", () => queueMicrotask(() => (drained = true)));
    b.on("close", () => events.push(`b close, a's microtask ${drained ? "ran" : "did not run"}`));
    busy(300);
    // As Node lets code do: b's listener attached once a has closed.
    const r = await Promise.race([(async () => {
      await closed(a);
      await closed(b);
      return "both";
    })(), new Promise((r) => setTimeout(() => r("b's close was missed"), 5000))]);
    assert.equal(r, "both");
    assert.deepEqual(events, ['a exit, output "a\\n"', "b exit", "b close, a's microtask ran"]);
  }
}, 60_000);

test("child_process: stdout's end comes when the child closes it, read or not, before its exit, as a Node socket's does", async () => {
  // Only `end` is listened to: the child waits for the input its listener
  // sends. (Read only once consumed, the pipe's end was seen at the exit:
  // this waited until the kill.)
  const c = spawn("sh", ["-c", "exec 1>&-; read x; echo got $x >&2"], { stdio: ["pipe", "pipe", "pipe"] });
  const order: string[] = [];
  c.stdout!.on("end", () => {
    order.push("end");
    c.stdin!.end("go\n");
  });
  c.stderr!.on("data", (d) => order.push(String(d).trim()));
  c.on("exit", (code) => order.push(`exit ${code}`));
  const kill = setTimeout(() => c.kill("SIGKILL"), 5000);
  await new Promise((r) => c.on("close", r));
  clearTimeout(kill);
  assert.deepEqual(order, ["end", "got go", "exit 0"]);
});

test("child_process: many children at once, all events accounted for", async () => {
  const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => record(spawn("sh", ["-c", `echo ${i}; exit ${i % 5}`]))));
  rs.forEach((r, i) => {
    assert.equal(r.stdout, `${i}\n`);
    assert.deepEqual(r.events, ["spawn", `exit ${i % 5} null`, `close ${i % 5} null`]);
  });
});

test("child_process: a missing program has no pid at all, and its stdio streams exist and end, as in Node", async () => {
  const child = spawn("aspawn-no-such-program", { stdio: ["pipe", "pipe", "pipe"] });
  assert.equal(child.pid, undefined, "known before spawn() returned");
  assert.ok(child.stdout && child.stderr && child.stdin);
  const r = await record(child);
  assert.deepEqual(r.events, ["error", "close -2 null"]);
  // A relative path, from cwd; a directory is not a program (EACCES).
  const rel = await record(spawn("./aspawn-no-such-program", { cwd: "/tmp" }));
  assert.equal(rel.errors[0]?.message, "spawn ./aspawn-no-such-program ENOENT");
  const dir = spawn("/tmp");
  assert.equal(dir.pid, undefined);
  assert.equal((await record(dir)).errors[0]?.message, "spawn /tmp EACCES");
  // Found once, remembered: a program that appears later on PATH is found too.
  const env = { PATH: `/aspawn/none:${process.env.PATH}` };
  assert.equal((await record(spawn("true", { env }))).close[0], 0);
});

test("child_process: a stdio stream's error has the shape of Node's sockets' (write EPIPE, errno -32)", async () => {
  const d = spawn("head", ["-c", "1"]);
  d.stdout!.resume();
  d.stdin!.on("error", () => {});
  const e = await new Promise<Error & Record<string, unknown>>((resolve) => {
    const write = () => d.stdin!.write(Buffer.alloc(1 << 20), (err) => (err ? resolve(err as never) : write()));
    write();
  });
  assert.deepEqual([e.message, e.code, e.errno, e.syscall], ["write EPIPE", "EPIPE", -32, "write"]);
  await record(d);
});

test("child_process: one child's stdout lent as another's stdin — blocking while it reads, ours again after", async () => {
  const cat = spawn("cat", { stdio: ["pipe", "pipe", "inherit"] });
  const head = spawn("head", ["-n1"], { stdio: [cat.stdout!, "pipe", "inherit"] });
  cat.stdin!.write("hello\n");
  const first = await record(head);
  assert.equal(first.stdout, "hello\n");
  assert.deepEqual(first.close, [0, null], "head read a blocking stdin (no EAGAIN)");
  const rest = record(cat);
  cat.stdin!.end("world\n");
  assert.equal((await rest).stdout, "world\n");
  // An empty cwd is no cwd (Node does not chdir to it).
  assert.equal((await record(spawn("pwd", { cwd: "" }))).stdout, `${process.cwd()}\n`);
});

test("child_process: unref() unrefs the process alone — a pipe being read, exec's pipes, a fork's channel keep the parent alive, as in Node", async () => {
  const late = `${repoRoot}test/fixtures/cp-late-child.cjs`;
  const run = (mode: string) => runFixture("cp-unref", [mode, late], { timeoutMs: 15000 });
  const lines = (out: string) => out.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  // One at a time: on Node each run bundles the fixture again, to the same file.
  const [read, exec, unread, ignore, forked, chUnref, chCounted, streamsUnref] = [
    await run("read"), await run("exec"), await run("unread"), await run("ignore"), await run("fork"), await run("channel-unref"),
    await run("channel-counted"), await run("streams-unref"),
  ];
  const [fast, fastQuiet, endsFirst, endsLongFirst] = [await run("fast"), await run("fast-quiet"), await run("ends-first"), await run("ends-long-first")];
  const [writesEndsFirst, endsApart] = [await run("writes-ends-first"), await run("ends-apart")];
  for (const r of [read, exec, unread, ignore, forked, chUnref, chCounted, streamsUnref, fast, fastQuiet, endsFirst, endsLongFirst, writesEndsFirst, endsApart]) {
    assert.equal(r.code, 0, r.stderr);
  }
  assert.deepEqual(lines(read.stdout), [{ data: "late\n" }]);
  // Children that ended at once (was: the parent exited without their data, exit and close).
  assert.deepEqual(lines(fast.stdout), [{ data: "hi\n" }, { exit: 0 }, { close: 0 }]);
  assert.deepEqual(lines(fastQuiet.stdout), [{ exit: 0 }, { close: 0 }]);
  // Pipes that end a moment before the exit (was: the parent exited without exit and close).
  assert.deepEqual(lines(endsFirst.stdout), [{ exit: 0 }, { close: 0 }]);
  // The same after output nobody reads, and with the pipes ending 300 ms apart (was: both lost).
  assert.deepEqual(lines(writesEndsFirst.stdout), [{ exit: 0 }, { close: 0 }]);
  assert.deepEqual(lines(endsApart.stdout), [{ exit: 0 }, { close: 0 }]);
  assert.deepEqual(lines(exec.stdout), [{ error: null, stdout: "done\n" }]);
  assert.ok(unread.ms >= 450, `a pipe nobody reads held the parent ${Math.round(unread.ms)} ms, not until it ended (500)`);
  assert.deepEqual(lines(forked.stdout), [{ message: "late" }]);
  // Nothing connected to the parent, or the channel unref'd too: it exits before its child (5 s, 3 s).
  // Or its streams unref'd as a Node Socket is (child.stdout.unref()).
  // Or its pipes ended long before it exits: the loop is held a moment for the exit, not until it.
  for (const r of [ignore, chUnref, chCounted, streamsUnref, endsLongFirst]) {
    assert.ok(r.ms < 2500, `exited after ${Math.round(r.ms)} ms`);
    assert.equal(r.stdout, "");
  }
}, 40000);

test("child_process: a Node child's output written just before process.exit() arrives whole, as through Node's socketpairs", async () => {
  // Node writes a pipe without blocking and drops what is still queued at
  // exit: a FIFO took 64 KiB of the write, a socketpair takes it all.
  const script = 'process.stdout.write("x".repeat(150000)); process.stderr.write("e".repeat(100000)); process.exit(0)';
  const out = await new Promise<[string, string]>((resolve, reject) =>
    cp.execFile("node", ["-e", script], { maxBuffer: 1 << 20 }, (e, o, err) => (e ? reject(e) : resolve([o, err]))));
  assert.deepEqual(out.map((x) => x.length), [150000, 100000]);
  const r = cp.spawnSync("node", ["-e", script]);
  assert.deepEqual([r.stdout.length, r.stderr.length], [150000, 100000]);
});

test("child_process: a pipe lent to another child as its stdin is not drained when its owner exits (Node's kIsUsedAsStdio)", async () => {
  const a = spawn("sh", ["-c", "echo piped; echo piped2"]);
  const b = spawn("sh", ["-c", "sleep 0.2; tr a-z A-Z"], { stdio: [a.stdout!, "pipe", "inherit"] });
  const r = await record(b);
  assert.equal(r.stdout, "PIPED\nPIPED2\n");
  assert.deepEqual(r.close, [0, null]);
  assert.equal(a.exitCode, 0);
});

test("child_process: one stream lent to two children at once stays blocking until the last exits; ours reads what they left", async () => {
  const a = spawn("sh", ["-c", "sleep 0.1; echo x; sleep 0.3; echo y; sleep 0.3; echo z"]);
  const owner = record(a);
  const first = spawn("head", ["-n1"], { stdio: [a.stdout!, "pipe", "pipe"] });
  const second = spawn("sh", ["-c", "sleep 0.2; head -n1"], { stdio: [a.stdout!, "pipe", "pipe"] });
  const [r1, r2] = await Promise.all([record(first), record(second)]);
  // The first one's exit made the pipe non-blocking under the second: head failed with EAGAIN.
  assert.deepEqual([r1.stdout, r2.stdout, r2.stderr], ["x\n", "y\n", ""]);
  assert.equal((await owner).stdout, "z\n");
});

test("child_process: Node 20's corner cases of its arguments — accepted as Node accepts them, errors as Node words them", async () => {
  // A negative fd in stdio is a pipe.
  const neg = spawn("sh", ["-c", "cat"], { stdio: [-1, "pipe", "inherit"] });
  assert.ok(neg.stdin && neg.stdout);
  const done = record(neg);
  neg.stdin!.end("through\n");
  assert.equal((await done).stdout, "through\n");
  // exec() and execSync() take options that are not an object as no options.
  const out = await new Promise((resolve) => loose.exec("echo x", "str", (_e: unknown, o: string) => resolve(o)));
  assert.equal(out, "x\n");
  assert.equal(String((cp.execSync as (c: string, o: unknown) => unknown)("echo z", 5)), "z\n");
  // fork() spreads execArgv as it is given (a string: its characters).
  const forked = loose.fork("mod", [], { execPath: "/bin/true", execArgv: "-x" }) as ChildProcess;
  assert.deepEqual(forked.spawnargs, ["/bin/true", "-", "x", "mod"]);
  await record(forked);
  // An encoding Buffer does not know: thrown once the output is there to decode.
  assert.deepEqual(thrown(() => cp.spawnSync("echo", { encoding: 5 as never })), ["ERR_UNKNOWN_ENCODING", "Unknown encoding: 5"]);
  assert.equal(cp.spawnSync("true", { encoding: "nope" as never }).stdout, "", "nothing to decode: no error");
  // Values shown as Node's inspect() shows them.
  assert.deepEqual(thrown(() => loose.spawn("ls", { stdio: [Buffer.from("x")] })), [
    "ERR_INVALID_SYNC_FORK_INPUT", "Asynchronous forks do not support Buffer, TypedArray, DataView or string input: <Buffer 78>",
  ]);
  assert.deepEqual(thrown(() => loose.spawn("ls", { stdio: [{}] })), ["ERR_INVALID_ARG_VALUE", "The argument 'stdio' is invalid. Received {}"]);
  const sleeper = spawn("sleep", ["5"]);
  assert.deepEqual(thrown(() => sleeper.kill({} as never)), ["ERR_UNKNOWN_SIGNAL", "Unknown signal: {}"]);
  assert.deepEqual(thrown(() => sleeper.kill([1] as never)), ["ERR_UNKNOWN_SIGNAL", "Unknown signal: [ 1 ]"]);
  sleeper.kill();
  await record(sleeper);
  // An extra pipe is beyond the native sync call: a Node-shaped error naming the option.
  const [code, message] = thrown(() => cp.spawnSync("true", { stdio: ["pipe", "pipe", "pipe", "pipe"] }));
  assert.equal(code, "ERR_INVALID_ARG_VALUE");
  assert.match(message, /^The property 'options\.stdio\[3\]' cannot be a pipe: .* Received 'pipe'$/);
});

if (runtime === "node") {
  test("child_process: those corner cases against node:child_process (the oracle)", () => {
    const calls: Record<string, (m: typeof cp) => unknown> = {
      stdioBuffer: (m) => m.spawn("ls", { stdio: [Buffer.from("x")] } as never),
      stdioObject: (m) => m.spawn("ls", { stdio: [{}] } as never),
      stdioValue: (m) => m.spawn("ls", { stdio: Buffer.from("x") } as never),
      encoding: (m) => m.spawnSync("echo", { encoding: 5 } as never),
      inputEncoding: (m) => m.spawnSync("cat", { input: "x", encoding: "buffer" } as never),
      kill: (m) => {
        const c = m.spawn("sleep", ["5"], { stdio: "ignore" });
        try {
          return c.kill({} as never);
        } finally {
          c.kill("SIGKILL");
        }
      },
    };
    for (const [what, call] of Object.entries(calls)) {
      assert.deepEqual(thrown(() => call(cp)), thrown(() => call(nodeCp as unknown as typeof cp)), what);
    }
  });
}

/** A shell script without "#!" in a directory of its own, removed after fn. */
async function withScript(fn: (script: string, dir: string) => Promise<void> | void): Promise<void> {
  const dir = mkdtempSync(`${tmpdir()}/aspawn-cp-`);
  try {
    const script = `${dir}/no-shebang`;
    writeFileSync(script, 'echo "$0|$1|$#"\n', { mode: 0o755 });
    await fn(script, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

nativeTest(["sh fallback", "argv0"], "child_process: a script without #! runs under /bin/sh, as Node's execvp runs it (async, sync, by path and through PATH)", () =>
  withScript(async (script, dir) => {
    const want = `${script}|one two|1\n`;
    const r = await record(spawn(script, ["one two"]));
    assert.deepEqual(r.events, ["spawn", "exit 0 null", "close 0 null"]);
    assert.equal(r.stdout, want);
    assert.equal(cp.execFileSync(script, ["one two"], { encoding: "utf8" }), want);
    const found = cp.spawnSync("no-shebang", [], { env: { PATH: `/nonexistent:${dir}` }, encoding: "utf8" });
    assert.equal(found.status, 0);
    assert.equal(found.stdout, `${script}||0\n`);
    if (runtime === "node") assert.equal(nodeCp.execFileSync(script, ["one two"], { encoding: "utf8" }), want);
  }));

nativeTest(["no sh fallback"], "aspawn's own spawn() and runSync() keep execve's ENOEXEC for a script without #! (no shell behind the caller's back)", () =>
  withScript(async (script) => {
    await assert.rejects(aspawnSpawn(script).exited, (e: Error & { code?: string }) => e.code === "ENOEXEC");
    assert.throws(() => runSync(script), (e: Error & { code?: string }) => e.code === "ENOEXEC");
  }));

test("child_process: uid or gid -1 is Node's EINVAL (thrown by spawn, returned by spawnSync); a Symbol in env or args throws", () => {
  for (const o of [{ uid: -1 }, { gid: -1 }]) {
    assert.throws(() => spawn("true", o), (e: Error & Record<string, unknown>) => {
      assert.deepEqual([e.message, e.code, e.errno, e.syscall], ["spawn EINVAL", "EINVAL", -22, "spawn"]);
      return true;
    });
    const r = cp.spawnSync("true", ["a"], o);
    const err = r.error as Error & Record<string, unknown>;
    assert.deepEqual([err.message, err.code, err.errno, err.path, err.spawnargs, r.status, r.pid], ["spawnSync true EINVAL", "EINVAL", -22, "true", ["a"], null, 0]);
  }
  // ChildProcess#spawn called directly (as Node's tests do) skips spawn()'s int32 check: a uid that is no number is still refused, never 0.
  const direct = new ChildProcess() as unknown as { spawn(options: unknown): void };
  assert.throws(() => direct.spawn({ file: "true", args: ["true"], uid: "x" }), TypeError);
  const symbol = /Cannot convert a Symbol value to a string|Cannot convert a symbol to a string/; // V8 | JavaScriptCore
  assert.throws(() => spawn("true", { env: { S: Symbol("s") as never } }), symbol);
  assert.throws(() => spawn("true", [Symbol("s") as never]), symbol);
  assert.throws(() => cp.spawnSync("true", { env: { S: Symbol("s") as never } }), symbol);
});

test("child_process: an env key with '=' reaches the child as Node writes it (A=B=1); an empty key is a TypeError", () => {
  const r = cp.spawnSync("sh", ["-c", 'printf %s "$A"'], { env: { "A=B": "1" }, encoding: "utf8" });
  assert.equal(r.stdout, "B=1");
  assert.throws(() => cp.spawnSync("true", { env: { "": "1" } }), TypeError);
});

test("child_process: on Deno, spawning needs --allow-ffi alone (as the README says): no read of this process's PATH", async () => {
  const r = await runFixture("cp-deno-ffi-only", [], { denoAllow: ["--allow-ffi"] });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.deepEqual(r.json, { out: "hi\n", missing: "ENOENT" });
});

test("child_process: this runtime's own executable runs a Node command line (a script, -e, -p), as Node does, Deno's way on Deno", async () => {
  const dir = mkdtempSync(`${tmpdir()}/aspawn-execpath-`);
  try {
    writeFileSync(`${dir}/env.mjs`, 'console.log("home", process.env.HOME === undefined ? "none" : "set", process.argv.slice(2).join(","));\n');
    const home = process.env.HOME === undefined ? "none" : "set";
    writeFileSync(`${dir}/c.cjs`, 'console.log("cjs", typeof require);\n');
    const out = (args: string[]) => {
      const r = cp.spawnSync(process.execPath, args, { encoding: "utf8" });
      return `${r.status} ${r.stdout.trim()}${r.status ? ` ${r.stderr.split("\n")[0]}` : ""}`;
    };
    // On Deno these ran as `deno FILE` (no permission to read HOME) or were refused (-e, -p: unexpected argument).
    assert.equal(out([`${dir}/env.mjs`, "a", "b"]), `0 home ${home} a,b`);
    assert.equal(out([`${dir}/c.cjs`]), "0 cjs function");
    assert.equal(out(["-e", "console.log(6 * 7, typeof require)"]), "0 42 function");
    assert.equal(out(["-p", "40 + 2"]), "0 42");
    const viaExecFile = await new Promise((resolve) => cp.execFile(process.execPath, ["--print", "1 + 1"], (e, stdout) => resolve(e ?? String(stdout).trim())));
    assert.equal(viaExecFile, "2");
    if (runtime === "deno") {
      // Deno's own flags pass on (its permissions instead of -A), Node's are dropped or translated, V8's go by --v8-flags.
      assert.equal(out(["-A", `${dir}/env.mjs`]), `0 home ${home}`);
      assert.match(out(["--allow-read", `${dir}/env.mjs`]), /^1 .*NotCapable: Requires env access/);
      assert.equal(out(["--disable-warning", "ExperimentalWarning", "--max-old-space-size=64", "--no-warnings", `${dir}/c.cjs`]), "0 cjs function");
      assert.equal(out(["--", `${dir}/c.cjs`]), "0 cjs function");
      assert.equal(out(["--input-type=module", "-e", "import path from 'node:path'; console.log(path.join('a', 'b'))"]), "0 a/b");
      assert.equal(cp.spawnSync(process.execPath, ["-", "x"], { input: "console.log(Deno.args.join())", encoding: "utf8" }).stdout, "x\n");
      // No script, or Deno's own command line: left as it is (it was a script read from stdin).
      assert.match(out(["--help"]), /^0 /);
      assert.equal(out(["eval", "console.log('deno eval')"]), "0 deno eval");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
