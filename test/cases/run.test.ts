// run(): buffered results, input, errors, timeouts, abort, maxBuffer.
import { assert, nativeTest, test } from "../adapter.ts";
import { mkdtempSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { $, ExitError, run, runSync, spawn, SpawnError } from "../../src/index.ts";
import { runFixture } from "../fixtures.ts";

test("run: stdout, stderr, exit code, duration, command", async () => {
  const r = await run("sh", ["-c", "echo out; echo err >&2"]);
  assert.equal(r.stdout, "out\n");
  assert.equal(r.stderr, "err\n");
  assert.equal(r.exitCode, 0);
  assert.equal(r.signal, null);
  assert.equal(r.command, "sh -c 'echo out; echo err >&2'");
  assert.ok(r.durationMs > 0 && r.durationMs < 5000);
});

test("run: input as a string and as bytes; encoding buffer", async () => {
  assert.equal((await run("cat", [], { input: "héllo" })).stdout, "héllo");
  const bytes = new Uint8Array([0, 1, 2, 255]);
  const r = await run("cat", [], { input: bytes, encoding: "buffer" });
  assert.ok(r.stdout instanceof Uint8Array);
  assert.deepEqual([...r.stdout], [0, 1, 2, 255]);
  // A child that ignores its input is fine (EPIPE is not an error of ours).
  assert.equal((await run("true", [], { input: "x".repeat(1 << 20) })).exitCode, 0);
});

test("run: stdin \"pipe\" without input ends at once, as runSync gives it (nobody could write to it)", async () => {
  for (const o of [{ stdin: "pipe" as const }, { stdio: ["pipe", "pipe", "pipe"] as ["pipe", "pipe", "pipe"] }]) {
    const r = await run("sh", ["-c", "cat; echo done"], { ...o, timeout: 10_000 });
    assert.equal(r.stdout, "done\n", JSON.stringify(o));
    assert.equal(r.timedOut, false);
    assert.equal(runSync("sh", ["-c", "cat; echo done"], o).stdout, "done\n");
  }
});

test("run: arguments, environment and argv0 reach the child as UTF-8, short and long, ASCII or not", async () => {
  const long = "a".repeat(300);
  const args = ["plain", "", "héllo", "日本", "😀x", `${"b".repeat(256)}é`, `${"c".repeat(255)}é`, long, "\ud800z"];
  const r = await run("sh", ["-c", 'printf "%s|" "$@"; printf "%s|%s" "$V" "$0"', "ärgv0", ...args], {
    env: { V: "vä😀" },
  });
  assert.equal(r.stdout, [...args.slice(0, -1), "\ufffdz", ""].join("|") + "vä😀|ärgv0");
});

test("run: non-zero exit rejects with ExitError carrying everything", async () => {
  const e = await run("sh", ["-c", "echo partial; echo oops >&2; exit 2"]).catch((e) => e);
  assert.ok(e instanceof ExitError);
  assert.equal(e.exitCode, 2);
  assert.equal(e.signal, null);
  assert.equal(e.stdout, "partial\n");
  assert.equal(e.stderr, "oops\n");
  assert.equal(e.timedOut, false);
  assert.equal(e.aborted, false);
  assert.equal(e.message, "Command failed with exit code 2: sh -c 'echo partial; echo oops >&2; exit 2'\noops");
  const r = await run("sh", ["-c", "exit 3"], { reject: false });
  assert.equal(r.exitCode, 3);
});

test("run: ENOENT and EACCES reject with SpawnError; so does a missing cwd", async () => {
  const e = await run("nosuch-aspawn", ["--flag"]).catch((e) => e);
  assert.ok(e instanceof SpawnError);
  assert.equal(e.code, "ENOENT");
  assert.equal(e.errno, 2);
  assert.equal(e.step, "execve");
  assert.equal(e.command, "nosuch-aspawn --flag");
  assert.equal(e.message, "Command failed to start (ENOENT: no such file or directory, execve): nosuch-aspawn --flag");
  assert.equal(e.cause.code, "ENOENT");
  const a = await run("/etc/passwd").catch((e) => e);
  assert.equal(a.code, "EACCES");
  const d = await run("/etc").catch((e) => e);
  assert.equal(d.code, "EACCES");
  const c = await run("true", [], { cwd: "/nonexistent-dir" }).catch((e) => e);
  assert.ok(c instanceof SpawnError);
  assert.equal(c.step, "chdir");
  assert.equal(c.code, "ENOENT");
  const n = await run("true", [], { cwd: "/etc/passwd" }).catch((e) => e);
  assert.equal(n.code, "ENOTDIR");
});

test("run: timeout kills with killSignal, on time", async () => {
  const t0 = performance.now();
  const e = await run("sleep", ["10"], { timeout: 150 }).catch((e) => e);
  const ms = performance.now() - t0;
  assert.ok(e instanceof ExitError);
  assert.equal(e.timedOut, true);
  assert.equal(e.signal, "SIGTERM");
  assert.equal(e.exitCode, null);
  assert.match(e.message, /^Command was killed with SIGTERM \(timed out after 150 ms\): sleep 10/);
  assert.ok(ms >= 145 && ms < 1500, `took ${ms} ms`);
  const k = await run("sleep", ["10"], { timeout: 50, killSignal: "SIGKILL" }).catch((e) => e);
  assert.equal(k.signal, "SIGKILL");
  // A child that catches the signal and exits: the message still says why.
  const c = await run("sh", ["-c", "trap 'exit 3' TERM; while :; do sleep 0.05; done"], { timeout: 300 }).catch((e) => e);
  assert.equal(c.exitCode, 3);
  assert.equal(c.timedOut, true);
  assert.match(c.message, /^Command failed with exit code 3 \(timed out after 300 ms\)/);
});

test("run, runSync, spawn: timeout 0 is no timeout, as node:child_process and execa take it (it killed at once)", async () => {
  const r = await run("sh", ["-c", "sleep 0.2; echo done"], { timeout: 0 });
  assert.deepEqual([r.stdout, r.timedOut], ["done\n", false]);
  const s = runSync("sh", ["-c", "sleep 0.2; echo done"], { timeout: 0 });
  assert.deepEqual([s.stdout, s.timedOut], ["done\n", false]);
  assert.equal(await spawn("sh", ["-c", "sleep 0.2; echo done"], { timeout: 0 }).text(), "done\n");
});

test("run: SIGKILL follows forceKillAfter when killSignal is ignored", async () => {
  // The timeout leaves the shell ample time to install its trap first,
  // even on a loaded machine.
  const t0 = performance.now();
  const e = await run("sh", ["-c", "trap '' TERM; sleep 10"], { timeout: 1000, forceKillAfter: 200 }).catch((e) => e);
  const ms = performance.now() - t0;
  assert.equal(e.signal, "SIGKILL");
  assert.equal(e.timedOut, true);
  assert.ok(ms >= 1190 && ms < 5000, `took ${ms} ms`);
});

test("run: an AbortSignal kills the child", async () => {
  const ac = new AbortController();
  const t0 = performance.now();
  setTimeout(() => ac.abort(), 100);
  const e = await run("sleep", ["10"], { signal: ac.signal }).catch((e) => e);
  assert.ok(e instanceof ExitError);
  assert.equal(e.aborted, true);
  assert.equal(e.signal, "SIGTERM");
  assert.match(e.message, /killed with SIGTERM \(aborted\)/);
  assert.ok(performance.now() - t0 < 1500);
  // Already aborted: killed at once.
  const done = new AbortController();
  done.abort();
  const f = await run("sleep", ["10"], { signal: done.signal }).catch((e) => e);
  assert.equal(f.aborted, true);
});

nativeTest(["abort before exec"], "run: a signal aborted before a process's first spawn kills the child before its program runs", async () => {
  // The first spawn's JavaScript is cold: sent by the Subprocess, the kill
  // came after `touch` had run in half the processes.
  const dir = mkdtempSync(`${tmpdir()}/aspawn-aborted-`);
  try {
    for (let i = 0; i < 6; i++) {
      const marker = `${dir}/marker${i}`;
      const r = await runFixture("aborted-first", [marker], { timeoutMs: 30000 });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.json, { signal: "SIGTERM", aborted: true, touched: false }, `process ${i}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60000);

test("run: maxBuffer kills the child and says so", async () => {
  const e = await run("sh", ["-c", "yes"], { maxBuffer: 100000 }).catch((e) => e);
  assert.ok(e instanceof ExitError);
  assert.equal(e.maxBufferExceeded, true);
  assert.equal(e.stdout.length, 100000);
  assert.match(e.message, /^Command output exceeded maxBuffer/);
});

test("run, runSync and text(): output decodes as TextDecoder decodes it, short or long, ASCII or not", async () => {
  const ascii = (n: number) => new TextEncoder().encode("x".repeat(n));
  const cases: Uint8Array[] = [
    new Uint8Array(0),
    ascii(1),
    new Uint8Array([0, 10, 13, 0x7f]),
    ascii(256),
    ascii(257),
    Uint8Array.of(...ascii(255), 0xc3, 0xa9), // é across the short bound
    Uint8Array.of(...ascii(256), 0xc3, 0xa9),
    Uint8Array.of(0x68, 0xff, 0x69), // invalid UTF-8: U+FFFD
    Uint8Array.of(0x61, 0xc3), // cut in the middle of a sequence
    Uint8Array.of(0xef, 0xbb, 0xbf, 0x61), // a BOM is dropped, as TextDecoder drops it
  ];
  for (const bytes of cases) {
    const want = new TextDecoder().decode(bytes);
    const what = `[${[...bytes.slice(0, 4)]}...] (${bytes.length} bytes)`;
    // printf writes the bytes from octal escapes: no input needed (the portable runSync has none on Deno).
    const format = [...bytes].map((b) => `\\${b.toString(8).padStart(3, "0")}`).join("");
    assert.equal((await run("printf", [format])).stdout, want, `run ${what}`);
    assert.equal(runSync("printf", [format]).stdout, want, `runSync ${what}`);
    assert.equal(await spawn("printf", [format]).text(), want, `text() ${what}`);
  }
});

test("run and runSync: the same command again sees a changed environment and arguments changed in place", async () => {
  const args = ["-c", 'printf "%s|%s" "$1" "$ASPAWN_T_REUSE"', "sh", "a"];
  try {
    for (const way of ["run", "runSync"] as const) {
      const go = async () => (way === "run" ? (await run("sh", args)).stdout : runSync("sh", args).stdout);
      args[3] = "a";
      process.env.ASPAWN_T_REUSE = "1";
      assert.equal(await go(), "a|1", way);
      assert.equal(await go(), "a|1", `${way} again`);
      process.env.ASPAWN_T_REUSE = "2";
      assert.equal(await go(), "a|2", `${way}: the environment changed`);
      args[3] = "b";
      assert.equal(await go(), "b|2", `${way}: an argument changed in place`);
      delete process.env.ASPAWN_T_REUSE;
      assert.equal(await go(), "b|", `${way}: the variable removed`);
      // A spawn with an env of its own between (not reused, not kept).
      assert.equal((await run("sh", args, { env: { ASPAWN_T_REUSE: "3" } })).stdout, "b|3", `${way}: env between`);
      assert.equal(await go(), "b|", `${way}: after an env of its own`);
    }
  } finally {
    delete process.env.ASPAWN_T_REUSE;
  }
});

test("run: the same call kept whole sees changed options and directory, is told apart from spawn()'s, and rejects for a getter that throws", async () => {
  // The child names its stderr: run() pipes it, spawn() lets it inherit ours.
  const args = ["-c", "readlink /proc/self/fd/2; pwd"];
  const ours = readlinkSync("/proc/self/fd/2");
  const options: Record<string, unknown> = { timeout: 60000 };
  const here = process.cwd(), dir = mkdtempSync(`${tmpdir()}/aspawn-run-kept-`);
  const ran = async () => (await run("sh", args, options)).stdout.split("\n");
  try {
    for (let i = 0; i < 3; i++) {
      const [err, cwd] = await ran();
      assert.ok(err !== ours && /^(pipe|socket):/.test(err!), `run ${i}: stderr ${err}`);
      assert.equal(cwd, here);
    }
    // spawn() with the same words and options has its own stdio defaults; then run()'s again.
    for (let i = 0; i < 3; i++) {
      const p = spawn("sh", args, options);
      assert.equal(p.stderr, null, `spawn ${i} was served run()'s kept call`);
      await p.text();
    }
    assert.notEqual((await ran())[0], ours, "run() was served spawn()'s kept call");
    options.cwd = dir; // a key added to the same object
    for (let i = 0; i < 3; i++) assert.equal((await ran())[1], dir);
    options.encoding = "buffer";
    assert.ok(((await run("sh", args, options)).stdout as unknown) instanceof Uint8Array);
    options.reject = false;
    for (let i = 0; i < 3; i++) assert.equal((await run("sh", ["-c", "exit 3"], options)).exitCode, 3);
    delete options.reject;
    await assert.rejects(run("sh", ["-c", "exit 3"], options), ExitError);
    // A getter that throws, on the object of a kept call: a rejection, as for every bad input.
    Object.defineProperty(options, "timeout", { enumerable: true, get: () => { throw new Error("getter"); } });
    let result: Promise<unknown> | undefined;
    assert.doesNotThrow(() => void (result = run("sh", ["-c", "exit 3"], options)));
    await assert.rejects(result!, /getter/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("run: stdio given as one word applies to stdin, stdout and stderr on either backend; detached: false is what aspawn does", async () => {
  assert.equal((await run("echo", ["hi"], { stdio: "pipe" })).stdout, "hi\n");
  assert.equal((await run("sh", ["-c", "echo out; echo err >&2"], { stdio: "pipe", stderr: "ignore" })).stdout, "out\n");
  assert.equal((await run("echo", ["hi"], { stdio: "ignore" })).stdout, "");
  assert.equal((await run("echo", ["hi"], { detached: false } as never)).stdout, "hi\n");
});

test("run: an abort's reason is the ExitError's cause (run, $, a pipe() stage, subprocess.text())", async () => {
  const reason = new Error("user cancelled");
  const aborted = () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(reason), 50);
    return ac.signal;
  };
  for (const [name, go] of [
    ["run", () => run("sleep", ["10"], { signal: aborted() })],
    ["$", () => $({ signal: aborted() })`sleep 10`],
    ["pipe() head", () => $({ signal: aborted() })`sleep 10`.pipe($`cat`)],
    ["pipe() last", () => $`sleep 10`.pipe($({ signal: aborted() })`cat`)],
    ["text()", () => spawn("sleep", ["10"], { signal: aborted() }).text()],
  ] as const) {
    const e = await (go() as Promise<unknown>).catch((e) => e);
    assert.ok(e instanceof ExitError, `${name}: ${e}`);
    assert.equal(e.aborted, true, name);
    assert.equal(e.cause, reason, name);
  }
  // Not aborted: no cause.
  const plain = await run("sh", ["-c", "exit 3"]).catch((e) => e);
  assert.equal(plain.cause, undefined);
});
