// runSync(): run()'s results and errors without an event loop — each option
// and failure against real processes, compared with run() where both apply;
// timeouts and maxBuffer that return on time; Workers and exit handlers;
// nothing left open or unreaped.
import { assert, nativeOnlyHere, nativeTest, portable, test } from "../adapter.ts";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { randomBytes, equalBytes } from "../bytes.ts";
import { fdList, openFds } from "../fds.ts";
import { runFixture, showFixture } from "../fixtures.ts";
import { alive, zombieChildren } from "../proc.ts";
import { settle } from "../snapshot.ts";
import { ExitError, run, type RunOptions, runSync, SpawnError, StreamError } from "../../src/index.ts";

/** What runSync threw (a test failure if it returned). */
function thrown(f: () => unknown): any {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected an exception");
}

/** An ExitError or SpawnError as plain fields, durations left out. */
function shape(e: any): Record<string, unknown> {
  // Each its own child: the pids differ (checked by the callers).
  const { durationMs: _, pid: _pid, ...rest } = { ...e, name: e.name, message: e.message };
  return rest;
}

/** runSync and run give the same result or the same error. */
async function same(file: string, args: string[], options: RunOptions = {}): Promise<any> {
  let sync: any, async: any;
  try {
    sync = runSync(file, args, options);
  } catch (e) {
    sync = e;
  }
  try {
    async = await run(file, args, options);
  } catch (e) {
    async = e;
  }
  assert.equal(sync?.constructor, async?.constructor);
  assert.deepEqual(shape(sync), shape(async));
  return sync;
}

const nrOpen = Number(readFileSync("/proc/sys/fs/nr_open", "utf8"));

test("runSync: stdout, stderr, exit code, duration and command, as run() gives them", async () => {
  const r = await same("sh", ["-c", "echo out; echo err >&2"]);
  assert.equal(r.stdout, "out\n");
  assert.equal(r.stderr, "err\n");
  assert.equal(r.exitCode, 0);
  assert.equal(r.signal, null);
  assert.equal(r.command, "sh -c 'echo out; echo err >&2'");
  assert.equal(r.timedOut, false);
  assert.equal(r.maxBufferExceeded, false);
  assert.equal(r.aborted, false);
  assert.ok(r.durationMs > 0 && r.durationMs < 30000);
  assert.equal(runSync("echo", ["hello"]).stdout, "hello\n");
  // The child's pid, from runSync() (not from the portable backend's) and run().
  const self = runSync("sh", ["-c", "echo $$"]);
  assert.equal(self.pid, portable ? undefined : Number(self.stdout));
  const viaRun = await run("sh", ["-c", "echo $$"]);
  assert.equal(viaRun.pid, Number(viaRun.stdout));
  assert.equal(runSync("true").stdout, "");
  // (file, options) as run() takes it.
  assert.equal(runSync("pwd", { cwd: "/usr" }).stdout, "/usr\n");
  assert.equal(runSync("echo $0 $1", ["a b"], { shell: true }).stdout, "/bin/sh a b\n");
  assert.equal(runSync("sh", ["-c", 'echo "$X"'], { env: { X: "x" } }).stdout, "x\n");
  // An option's getter that runs a command itself, while this one is planned.
  const nested = { get cwd() { return runSync("echo", ["/usr"]).stdout.trim(); } };
  assert.equal(runSync("pwd", [], nested).stdout, "/usr\n");
});

nativeTest(["runSync input, timeout and maxBuffer"], "runSync: input as a string and as bytes, encoding buffer; a child that ignores its input", () => {
  assert.equal(runSync("cat", [], { input: "héllo" }).stdout, "héllo");
  const r = runSync("cat", [], { input: new Uint8Array([0, 1, 2, 255]), encoding: "buffer" });
  assert.ok(r.stdout instanceof Uint8Array && r.stderr instanceof Uint8Array);
  assert.deepEqual([...r.stdout], [0, 1, 2, 255]);
  assert.equal(r.stderr.length, 0);
  // A view into a larger buffer: only its own bytes.
  const view = new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4);
  assert.deepEqual([...runSync("cat", [], { input: view, encoding: "buffer" }).stdout], [1, 2, 3]);
  // EPIPE is not an error of ours, and no SIGPIPE kills us.
  assert.equal(runSync("true", [], { input: "x".repeat(4 << 20) }).exitCode, 0);
  assert.equal(runSync("head", ["-c", "3"], { input: "y".repeat(4 << 20) }).stdout, "yyy");
  // Empty input: stdin is a pipe at EOF.
  assert.equal(runSync("wc", ["-c"], { input: "" }).stdout.trim(), "0");
  // Without input stdin is /dev/null, as for run().
  assert.equal(runSync("sh", ["-c", "readlink /proc/self/fd/0"]).stdout, "/dev/null\n");
});

nativeTest(["runSync input, timeout and maxBuffer"], "runSync: stdin as bytes, other views, an ArrayBuffer or chunks is fed as run() feeds it", async () => {
  const bytes = new TextEncoder().encode("hello");
  // Options made anew for each call: a generator is used up by one.
  const same = async (o: RunOptions | (() => RunOptions), want: string) => {
    const make = typeof o === "function" ? o : () => o;
    assert.equal(runSync("cat", [], make()).stdout, want, JSON.stringify(Object.keys(make())));
    assert.equal((await run("cat", [], make())).stdout, want);
  };
  await same({ stdin: bytes }, "hello");
  await same({ stdio: [bytes, "pipe", "pipe"] }, "hello");
  await same({ stdin: ["he", bytes.subarray(2), new Uint8Array([10]).buffer] }, "hello\n");
  await same({ input: new DataView(bytes.buffer, 1, 3) }, "ell");
  await same({ input: new Uint8Array([104, 105]).buffer }, "hi");
  await same({ input: new Uint16Array([0x6968]) }, "hi");
  await same({ input: ["a", "b"] }, "ab");
  // A generator's chunks are taken when runSync() is called.
  await same(() => ({ stdin: (function* () { yield "x"; yield "y"; })() }), "xy");
  // stdin given as bytes together with input is the conflict run() names.
  assert.throws(() => runSync("cat", [], { stdin: bytes, input: "x" }), /input and stdin cannot both be given/);
});

nativeTest(["runSync input, timeout and maxBuffer"], "runSync: 4 MiB of input while the child writes 4 MiB back (no deadlock); both streams at once", () => {
  const input = randomBytes(4 << 20, 7);
  const r = runSync("cat", [], { input, encoding: "buffer", timeout: 60000 });
  assert.equal(r.stdout.length, input.length);
  assert.ok(equalBytes(r.stdout, input));
  // stdout and stderr both past the pipe buffer, interleaved.
  const both = runSync("sh", ["-c", "head -c 3000000 /dev/zero; head -c 3000000 /dev/zero >&2; head -c 100 /dev/zero"], {
    encoding: "buffer",
  });
  assert.equal(both.stdout.length, 3000100);
  assert.equal(both.stderr.length, 3000000);
});

test("runSync: a non-zero exit and a signal throw the ExitError run() rejects with; reject: false returns it", async () => {
  const e = await same("sh", ["-c", "echo partial; echo oops >&2; exit 2"]);
  assert.ok(e instanceof ExitError);
  assert.equal(e.exitCode, 2);
  assert.equal(e.stdout, "partial\n");
  assert.equal(e.message, "Command failed with exit code 2: sh -c 'echo partial; echo oops >&2; exit 2'\noops");
  const k = await same("sh", ["-c", "echo x; kill -KILL $$"]);
  assert.ok(k instanceof ExitError);
  assert.equal(k.signal, "SIGKILL");
  assert.equal(k.exitCode, null);
  const r = runSync("sh", ["-c", "echo o; exit 3"], { reject: false });
  assert.equal(r.exitCode, 3);
  assert.equal(r.stdout, "o\n");
  const b = thrown(() => runSync("sh", ["-c", "printf '\\001'; exit 1"], { encoding: "buffer" }));
  assert.deepEqual([...b.stdout], [1]);
});

test("runSync: the same call again (reused whole) sees changed args, environment and outcome", () => {
  // A call without options is kept and reused when the next one is the
  // same: nothing it depends on may be reused stale.
  const args = ["-c", "echo $ASPAWN_REUSE_PROBE a; exit $ASPAWN_REUSE_CODE"];
  process.env.ASPAWN_REUSE_PROBE = "one";
  process.env.ASPAWN_REUSE_CODE = "0";
  try {
    assert.equal(runSync("sh", args).stdout, "one a\n");
    assert.equal(runSync("sh", args).stdout, "one a\n");
    process.env.ASPAWN_REUSE_PROBE = "two";
    assert.equal(runSync("sh", args).stdout, "two a\n", "a changed environment");
    args[1] = "echo $ASPAWN_REUSE_PROBE b; exit $ASPAWN_REUSE_CODE";
    assert.equal(runSync("sh", args).stdout, "two b\n", "args changed in place");
    process.env.ASPAWN_REUSE_CODE = "3";
    for (let i = 0; i < 2; i++) {
      const e = thrown(() => runSync("sh", args));
      assert.ok(e instanceof ExitError && e.exitCode === 3 && e.stdout === "two b\n", `ExitError each time: ${e}`);
    }
    assert.equal(runSync("sh", args, { reject: false }).exitCode, 3, "options between");
    assert.equal(runSync("sh", args, { env: { ASPAWN_REUSE_PROBE: "three", ASPAWN_REUSE_CODE: "0" } }).stdout, "three b\n");
    assert.equal(runSync("sh", ["-c", "echo $0", "x"]).stdout, "x\n", "other args");
    for (let i = 0; i < 2; i++) {
      const e = thrown(() => runSync("aspawn-no-such-program"));
      assert.ok(e instanceof SpawnError && e.code === "ENOENT", `SpawnError each time: ${e}`);
    }
  } finally {
    delete process.env.ASPAWN_REUSE_PROBE;
    delete process.env.ASPAWN_REUSE_CODE;
  }
});

test("runSync: ENOENT, EACCES and chdir throw run()'s SpawnError", async () => {
  const e = await same("nosuch-aspawn", ["--flag"]);
  assert.ok(e instanceof SpawnError);
  assert.equal(e.step, "execve");
  assert.equal(e.code, "ENOENT");
  assert.equal(e.message, "Command failed to start (ENOENT: no such file or directory, execve): nosuch-aspawn --flag");
  assert.equal((await same("/etc/passwd", [])).code, "EACCES");
  assert.match((await same("echo $HOME", [])).message, /use shell: true/);
  const c = await same("true", [], { cwd: "/nonexistent-dir" });
  assert.deepEqual([c.step, c.code], ["chdir", "ENOENT"]);
});

nativeTest(["rlimits", "cgroup", "stdio fd numbers"], "runSync: a failing pre-exec step, a bad fd and a cgroup throw run()'s SpawnError", async () => {
  const l = await same("true", [], { rlimits: { cpu: 10, nofile: [64, nrOpen + 1] } });
  assert.deepEqual([l.step, l.code], ["setrlimit:nofile", "EPERM"]);
  const f = await same("true", [], { stdio: ["ignore", "pipe", "pipe", 987654] });
  assert.ok(f instanceof SpawnError);
  assert.equal(f.step, "dup2:3");
  // A failure in the parent, before any child: the cgroup is opened first.
  const g = await same("true", [], { cgroup: "/nonexistent-cgroup" });
  assert.deepEqual([g.step, g.code], ["cgroup", "ENOENT"]);
});

nativeTest(["runSync input, timeout and maxBuffer"], "runSync: timeout kills with killSignal, on time", () => {
  const t0 = performance.now();
  const e = thrown(() => runSync("sleep", ["10"], { timeout: 150 }));
  const ms = performance.now() - t0;
  assert.ok(e instanceof ExitError);
  assert.equal(e.timedOut, true);
  assert.equal(e.signal, "SIGTERM");
  assert.match(e.message, /^Command was killed with SIGTERM \(timed out after 150 ms\): sleep 10/);
  assert.ok(ms >= 145 && ms < 10000, `took ${ms} ms`);
  assert.equal(thrown(() => runSync("sleep", ["10"], { timeout: 50, killSignal: "SIGKILL" })).signal, "SIGKILL");
  assert.equal(thrown(() => runSync("sleep", ["10"], { timeout: 50, killSignal: 2 })).signal, "SIGINT");
  // Caught, and exited: the message still says why.
  // (The timeout leaves the shell ample time to install its trap, even on a loaded machine.)
  const c = thrown(() => runSync("sh", ["-c", "trap 'exit 3' TERM; while :; do sleep 0.05; done"], { timeout: 1000 }));
  assert.equal(c.exitCode, 3);
  assert.equal(c.timedOut, true);
  assert.match(c.message, /^Command failed with exit code 3 \(timed out after 1000 ms\)/);
  // A timeout that does not elapse changes nothing.
  assert.equal(runSync("echo", ["in time"], { timeout: 10000 }).stdout, "in time\n");
}, 60000);

nativeTest(["runSync escalation"], "runSync: SIGKILL after forceKillAfter for a child that traps killSignal", () => {
  const t0 = performance.now();
  const k = thrown(() => runSync("sh", ["-c", "trap '' TERM; sleep 10"], { timeout: 1000, forceKillAfter: 200 }));
  const ms = performance.now() - t0;
  assert.equal(k.signal, "SIGKILL");
  assert.equal(k.timedOut, true);
  assert.ok(ms >= 1190 && ms < 10000, `took ${ms} ms`);
}, 60000);

nativeTest(["runSync escalation"], "runSync: a timeout returns on time while a descendant holds stdout open, with what was read", () => {
  const t0 = performance.now();
  const r = runSync("sh", ["-c", "sleep 30 & echo $!; sleep 30"], { timeout: 300, reject: false });
  const ms = performance.now() - t0;
  const orphan = Number(r.stdout.trim());
  try {
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, "SIGTERM");
    assert.ok(orphan > 0, r.stdout);
    assert.ok(alive(orphan), "the descendant still holds the pipe");
    // Not the descendant's 30 s (generous: the machine may be loaded).
    assert.ok(ms < 10000, `took ${ms} ms`);
  } finally {
    if (orphan > 0) process.kill(orphan, "SIGKILL");
  }
  // The child exits by itself but its descendant keeps the pipe: the
  // timeout stops the reading, and the exit code stays 0.
  const t1 = performance.now();
  const x = runSync("sh", ["-c", "sleep 30 & echo $!"], { timeout: 300, reject: false });
  const pid = Number(x.stdout.trim());
  try {
    assert.equal(x.exitCode, 0);
    assert.equal(x.timedOut, true);
    assert.ok(performance.now() - t1 < 10000);
    const e = thrown(() => runSync("sh", ["-c", "sleep 30 &"], { timeout: 200 }));
    assert.match(e.message, /^Command timed out after 200 ms and exited with code 0/);
  } finally {
    if (pid > 0) process.kill(pid, "SIGKILL");
  }
  // setsid: killSignal goes to the group, the descendant with it.
  const g = runSync("sh", ["-c", "sleep 30 & echo $!; wait"], { timeout: 300, setsid: true, reject: false });
  assert.equal(g.timedOut, true);
  const member = Number(g.stdout.trim());
  const t2 = performance.now();
  while (alive(member) && performance.now() - t2 < 10000);
  assert.equal(alive(member), false, "the group was signalled");
}, 60000);

nativeTest(["runSync all"], "runSync: all interleaves stdout and stderr as read, as run() does; each within maxBuffer", async () => {
  const script = "echo 1; sleep 0.1; echo 2 >&2; sleep 0.1; echo 3";
  const r = await same("sh", ["-c", script], { all: true });
  assert.equal(r.all, "1\n2\n3\n");
  assert.equal(r.stdout, "1\n3\n");
  assert.equal(r.stderr, "2\n");
  assert.equal(runSync("sh", ["-c", script]).all, undefined, "only when asked for");
  const b = runSync("sh", ["-c", "printf a; sleep 0.1; printf b >&2"], { all: true, encoding: "buffer" });
  assert.ok(b.all instanceof Uint8Array);
  assert.deepEqual([...b.all], [97, 98]);
  // On a failure the ExitError has it too; past maxBuffer, what each stream kept.
  const e = thrown(() => runSync("sh", ["-c", "echo err >&2; sleep 0.1; yes"], { all: true, maxBuffer: 1000 }));
  assert.ok(e instanceof ExitError);
  assert.equal(e.maxBufferExceeded, true);
  assert.equal(e.all.length, 1004);
  assert.ok(e.all.startsWith("err\ny\n"));
  // stderr sent elsewhere: all is stdout alone.
  assert.equal(runSync("sh", ["-c", "echo o; echo e >&2"], { all: true, stderr: "ignore" }).all, "o\n");
});

nativeTest(["runSync all"], "run and runSync: all keeps a UTF-8 character whole when a read cut it and the other stream came between", async () => {
  // "é" is C3 A9 and "€" E2 82 AC, each written in two parts with stderr's bytes between them.
  const script = "printf '\\303'; sleep 0.1; printf x >&2; sleep 0.1; printf '\\251'; sleep 0.1; " +
    "printf '\\342'; sleep 0.1; printf y >&2; sleep 0.1; printf '\\202\\254'";
  const r = await same("sh", ["-c", script], { all: true });
  assert.equal(r.stdout, "é€");
  assert.equal(r.stderr, "xy");
  assert.equal(r.all, "xéy€");
  // As bytes: every byte of each stream, in its order.
  const b = await same("sh", ["-c", script], { all: true, encoding: "buffer" });
  assert.deepEqual([...b.all], [0x78, 0xc3, 0xa9, 0x79, 0xe2, 0x82, 0xac]);
});

test("runSync: an input iterable that throws, or yields no chunk, is run()'s StreamError naming input; nothing runs", async () => {
  const dir = mkdtempSync(`${tmpdir()}/aspawn-input-`);
  try {
    function* failing() {
      yield "x";
      throw new Error("gen boom");
    }
    const e = thrown(() => runSync("sh", ["-c", `touch ${dir}/ran; cat`], { input: failing() }));
    assert.equal(existsSync(`${dir}/ran`), false, "runSync started nothing");
    const a = await run("sh", ["-c", "cat"], { input: failing() }).catch((x) => x);
    for (const x of [e, a]) {
      assert.ok(x instanceof StreamError, String(x));
      assert.equal(x.option, "input");
      assert.equal((x.cause as Error).message, "gen boom");
    }
    assert.equal(e.message, `The input source failed (gen boom): sh -c 'touch ${dir}/ran; cat'`);
    const bad = thrown(() => runSync("cat", [], { input: ["ok", 5 as unknown as string] }));
    assert.ok(bad instanceof StreamError && bad.option === "input" && bad.cause instanceof TypeError, String(bad));
    // Given as stdin, the option named is stdin (as run() names it).
    const asStdin = thrown(() => runSync("cat", [], { stdin: ["ok", 5] as never }));
    assert.ok(asStdin instanceof StreamError && asStdin.option === "stdin", String(asStdin));
    assert.match(asStdin.message, /^The stdin source failed \(stdin: a chunk must be a string, an ArrayBufferView or an ArrayBuffer, got 5\): cat$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

nativeTest(["runSync input, timeout and maxBuffer"], "runSync: maxBuffer on stdout and on stderr cuts the output, kills the child and names the stream", () => {
  const e = thrown(() => runSync("sh", ["-c", "yes"], { maxBuffer: 100000 }));
  assert.ok(e instanceof ExitError);
  assert.equal(e.maxBufferExceeded, true);
  assert.equal(e.stdout.length, 100000);
  // Bun.spawnSync (the portable backend) may close the pipe before its kill
  // lands: `yes` dies of SIGPIPE and sh exits 141 first (1 run in 8 here).
  if (portable && e.signal === null) assert.match(e.message, /^Command output exceeded maxBuffer \(100000 bytes of stdout\)/);
  else {
    assert.equal(e.signal, "SIGTERM");
    assert.match(e.message, /^Command output exceeded maxBuffer \(100000 bytes of stdout\) and was killed with SIGTERM/);
  }
  const s = thrown(() => runSync("sh", ["-c", "yes >&2"], { maxBuffer: 5000 }));
  assert.equal(s.stderr.length, 5000);
  assert.equal(s.stdout, "");
  assert.match(s.message, /\(5000 bytes of stderr\)/);
  // Exactly maxBuffer bytes is within it.
  assert.equal(runSync("head", ["-c", "4096", "/dev/zero"], { maxBuffer: 4096 }).stdout.length, 4096);
  const r = runSync("head", ["-c", "4097", "/dev/zero"], { maxBuffer: 4096, reject: false, encoding: "buffer" });
  assert.equal(r.maxBufferExceeded, true);
  assert.equal(r.stdout.length, 4096);
});

nativeTest(["runSync escalation"], "runSync: maxBuffer returns while a descendant keeps writing into the pipe", () => {
  const t0 = performance.now();
  const d = runSync("sh", ["-c", "yes & wait"], { maxBuffer: 1000, setsid: false, reject: false, timeout: 20000 });
  assert.equal(d.maxBufferExceeded, true);
  assert.equal(d.timedOut, false);
  assert.ok(performance.now() - t0 < 10000);
}, 60000);

nativeTest(["stdio fd numbers"], "runSync: stdio inherit, ignore and fd numbers", () => {
  const dir = mkdtempSync(`${tmpdir()}/aspawn-sync-`);
  try {
    writeFileSync(`${dir}/in`, "from a file\n");
    const fin = openSync(`${dir}/in`, "r"), fout = openSync(`${dir}/out`, "w");
    try {
      const r = runSync("sh", ["-c", "cat; echo to-err >&2"], { stdin: fin, stdout: fout, stderr: "ignore" });
      assert.equal(r.stdout, "");
      assert.equal(r.stderr, "");
      assert.equal(readFileSync(`${dir}/out`, "utf8"), "from a file\n");
      // stdio[3]: a number passes our fd.
      const three = runSync("sh", ["-c", "echo three >&3"], { stdio: ["ignore", "pipe", "pipe", fout] });
      assert.equal(three.stdout, "");
      assert.equal(readFileSync(`${dir}/out`, "utf8"), "from a file\nthree\n");
    } finally {
      closeSync(fin);
      closeSync(fout);
    }
    // inherit: the child writes to our stderr (not captured).
    assert.equal(runSync("sh", ["-c", "printf '' >&2"], { stderr: "inherit" }).stderr, "");
    assert.equal(runSync("sh", ["-c", "readlink /proc/self/fd/1"], { stdout: "ignore" }).stdout, "");
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test("runSync: options that need an event loop, and bad options, are TypeErrors naming them; nothing spawned", async () => {
  await settle();
  const fds = openFds();
  const cases: [RunOptions, RegExp][] = [
    [{ signal: new AbortController().signal }, /^signal: runSync\(\) cannot be aborted/],
    [{ stdin: new ReadableStream() as never }, /^stdin: a ReadableStream is read through the event loop/],
    [{ stdin: new Blob(["x"]) as never }, /^stdin: a Blob is read through the event loop/],
    [{ stdio: [(async function* () {})(), "pipe", "pipe"] as never }, /^stdio\[0\]: an async iterable is read through the event loop/],
    [{ input: new Blob(["x"]) as never }, /^input: a Blob is read through the event loop/],
    [{ stdout: new WritableStream() as never }, /^stdout: a stream needs the event loop/],
    [{ stdio: ["ignore", "pipe", "pipe", new ReadableStream() as never] }, /^stdio\[3\]: a stream/],
    [{ timeout: -1 }, /^timeout must be/],
    [{ forceKillAfter: 1.5 }, /^forceKillAfter must be/],
    [{ killSignal: "SIGNOPE" as never }, /^killSignal must be/],
    [{ maxBuffer: 0 }, /^maxBuffer must be a positive number/],
    [{ input: 5 as never }, /^input must be a string, bytes \(an ArrayBufferView or ArrayBuffer\) or an iterable of chunks for runSync\(\), got 5/],
    [{ encoding: "latin1" as never }, /^encoding must be/],
    [{ cwd: "a\0b" }, /cwd/],
    [{ rlimits: { nofile: -2 } }, /rlimits/],
  ];
  for (const [o, re] of cases) {
    const e = thrown(() => runSync("touch", [`${tmpdir()}/aspawn-sync-must-not-exist`], o));
    assert.ok(e instanceof TypeError, `${re}: ${e}`);
    assert.match(e.message, re);
  }
  assert.ok(thrown(() => runSync("")) instanceof TypeError);
  assert.ok(thrown(() => runSync("echo", "x" as never)) instanceof TypeError);
  assert.equal(openFds(), fds, fdList().join(" "));
  assert.throws(() => readFileSync(`${tmpdir()}/aspawn-sync-must-not-exist`));
});

test("runSync: no fd and no zombie left after any outcome", async () => {
  runSync("true");
  await settle();
  const fds = openFds();
  // Deno's outputSync() (portable backend) has no input, no timeout and no maxBuffer.
  const inputAndTimeout = nativeOnlyHere(["runSync input, timeout and maxBuffer"]).length === 0;
  for (let i = 0; i < 3; i++) {
    runSync("echo", ["x"]);
    thrown(() => runSync("nosuch-aspawn"));
    thrown(() => runSync("true", [], { cwd: "/nonexistent-dir" }));
    thrown(() => runSync("sh", ["-c", "exit 1"]));
    thrown(() => runSync("true", [], { stdio: ["ignore", "pipe", "pipe", 987654] }));
    if (!inputAndTimeout) continue;
    thrown(() => runSync("sh", ["-c", "yes"], { maxBuffer: 10 }));
    runSync("cat", [], { input: "in" });
    thrown(() => runSync("sleep", ["5"], { timeout: 20 }));
    runSync("true", [], { input: "x".repeat(1 << 20) });
  }
  await settle();
  assert.equal(openFds(), fds, fdList().join(" "));
  assert.equal(zombieChildren(), 0);
}, 60000);

nativeTest(["runSync input, timeout and maxBuffer"], "runSync: from Workers (alongside the main thread's own runSync) and from an exit handler", async () => {
  const w = await runFixture("run-sync-worker", [], { allowAll: true, bundles: ["run-sync-worker-child"], timeoutMs: 60000 });
  assert.equal(w.code, 0, showFixture(w));
  assert.deepEqual(w.json, { worker: ["w0", "w1"], main: "main\n", timedOut: true, fdsLeft: 0, zombies: 0 }, showFixture(w));
  const x = await runFixture("run-sync-exit", [], { allowAll: true, timeoutMs: 30000 });
  assert.equal(x.code, 0, showFixture(x));
  assert.equal(x.stdout, "before exit\nin exit handler: bye\n", showFixture(x));
}, 90000);

test("runSync: a stdio array with holes takes stdin/stdout/stderr or their defaults there, as spawn() does", () => {
  // Was an internal TypeError (".for is not iterable"): the holes were skipped by a map().
  // eslint-disable-next-line no-sparse-arrays
  const r = runSync("sh", ["-c", "echo out; echo err >&2"], { stdio: ["ignore", , "pipe"] });
  assert.equal(r.stdout, "out\n");
  assert.equal(r.stderr, "err\n");
  assert.equal(runSync("true", [], { stdio: new Array(5) }).exitCode, 0);
});
