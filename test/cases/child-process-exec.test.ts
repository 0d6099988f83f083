// aspawn/child_process: exec and execFile (callbacks, promisify), and the
// sync forms, with Node's results and errors.
import * as nodeCp from "node:child_process";
import { PassThrough } from "node:stream";
import { finished } from "node:stream/promises";
import { promisify } from "node:util";
import cp, { exec, execFile, execFileSync, execSync, spawnSync } from "../../src/child_process/index.ts";
import { runtime } from "../../src/ffi/runtime.ts";
import { assert, portable, test } from "../adapter.ts";
import { runFixture } from "../fixtures.ts";

type Result = [Error & Record<string, unknown> | null, string | Buffer, string | Buffer];

function call(f: (cb: (...a: unknown[]) => void) => unknown): Promise<Result> {
  return new Promise((resolve) => f((...a) => resolve(a as Result)));
}

test("exec: the callback gets stdout and stderr as strings; a failure is Node's error", async () => {
  const [ok, out, err] = await call((cb) => exec("echo out; echo err >&2", cb));
  assert.deepEqual([ok, out, err], [null, "out\n", "err\n"]);
  const [e, so, se] = await call((cb) => exec("echo partial; echo bad >&2; exit 3", cb));
  assert.ok(e instanceof Error);
  assert.equal(e.message, "Command failed: echo partial; echo bad >&2; exit 3\nbad\n");
  assert.equal(e.code, 3);
  assert.equal(e.killed, false);
  assert.equal(e.signal, null);
  assert.equal(e.cmd, "echo partial; echo bad >&2; exit 3");
  assert.deepEqual([so, se], ["partial\n", "bad\n"]);
});

test("execFile: arguments, encoding 'buffer', a missing program", async () => {
  const [e, out] = await call((cb) => execFile("printf", ["%s-%s", "a b", "c"], { encoding: "buffer" }, cb));
  assert.equal(e, null);
  assert.ok(Buffer.isBuffer(out));
  assert.equal(out.toString(), "a b-c");
  const [missing, o2, e2] = await call((cb) => execFile("aspawn-no-such-program", ["x"], cb));
  assert.equal(missing!.code, "ENOENT");
  assert.equal(missing!.message, "spawn aspawn-no-such-program ENOENT");
  assert.equal(missing!.cmd, "aspawn-no-such-program x");
  assert.deepEqual([o2, e2], ["", ""]);
  const [latin] = await call((cb) => execFile("printf", ["\\351"], { encoding: "latin1" }, (err, s) => cb(err ?? s)));
  assert.equal(latin, "é");
});

test("exec: maxBuffer ends the child with ERR_CHILD_PROCESS_STDIO_MAXBUFFER, output cut at the limit", async () => {
  const [e, out] = await call((cb) => exec("yes", { maxBuffer: 1000 }, cb));
  assert.equal(e!.code, "ERR_CHILD_PROCESS_STDIO_MAXBUFFER");
  assert.equal(e!.message, "stdout maxBuffer length exceeded");
  assert.ok(e instanceof RangeError);
  assert.equal((out as string).length, 1000);
  const [e2, , err2] = await call((cb) => exec("head -c 5000 /dev/zero >&2", { maxBuffer: 10 }, cb));
  assert.equal(e2!.message, "stderr maxBuffer length exceeded");
  assert.equal((err2 as string).length, 10);
});

test("exec: a signal aborted before the call gets Node's AbortError and no output, even from a child that wrote at once", async () => {
  const ac = new AbortController();
  ac.abort();
  const [e, out, err] = await call((cb) => exec("printf hi; printf oops >&2; sleep 5", { signal: ac.signal }, cb));
  assert.equal(e!.name, "AbortError");
  assert.equal(e!.code, "ABORT_ERR");
  assert.deepEqual([out, err], ["", ""]);
  // The output is dropped, not its pipe closed: a child writing at once died of SIGPIPE before the abort came, and no AbortError came.
  for (let i = 0; i < 5; i++) {
    const [e2, out2] = await call((cb) => execFile("yes", { signal: ac.signal }, cb));
    assert.deepEqual([e2!.name, e2!.code, out2], ["AbortError", "ABORT_ERR", ""]);
  }
});

test("exec: timeout kills with killSignal; the error says killed and the signal", async () => {
  const t0 = performance.now();
  const [e] = await call((cb) => exec("sleep 30", { timeout: 150, killSignal: "SIGKILL" }, cb));
  assert.ok(performance.now() - t0 < 10000);
  assert.equal(e!.killed, true);
  assert.equal(e!.signal, "SIGKILL");
  assert.equal(e!.code, null);
});

test("exec, execFile: util.promisify resolves { stdout, stderr } and rejects with them on the error; .child", async () => {
  const p = promisify(exec)("echo hi");
  assert.ok((p as unknown as { child: unknown }).child instanceof cp.ChildProcess);
  assert.deepEqual(await p, { stdout: "hi\n", stderr: "" });
  assert.deepEqual(await promisify(execFile)("sh", ["-c", "echo a >&2"]), { stdout: "", stderr: "a\n" });
  await assert.rejects(promisify(execFile)("sh", ["-c", "echo so; echo se >&2; exit 2"]), (e: Record<string, unknown>) => {
    assert.deepEqual([e.code, e.stdout, e.stderr], [2, "so\n", "se\n"]);
    return true;
  });
});

test("spawnSync: Node's result shape; encoding; input; a missing program; timeout", () => {
  const r = spawnSync("sh", ["-c", "cat; echo err >&2; exit 3"], { input: "in" });
  assert.equal(r.status, 3);
  assert.equal(r.signal, null);
  assert.ok(Buffer.isBuffer(r.stdout));
  assert.equal(r.stdout!.toString(), "in");
  assert.equal(r.stderr!.toString(), "err\n");
  assert.deepEqual(r.output, [null, r.stdout, r.stderr]);
  assert.equal(r.error, undefined);
  // Node's key order (what console.log and snapshots show): error first when there is one.
  assert.deepEqual(Object.keys(r), ["status", "signal", "output", "pid", "stdout", "stderr"]);
  // The child's own pid, as Node reports it (0 only where the portable backend's runtime does not tell).
  const self = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" });
  if (!portable || self.pid !== 0) assert.equal(self.pid, Number(self.stdout));
  const text = spawnSync("echo", ["x"], { encoding: "utf8" });
  assert.equal(text.stdout, "x\n");
  const inherit = spawnSync("true", { stdio: "inherit" });
  assert.deepEqual([inherit.stdout, inherit.stderr, inherit.status], [null, null, 0]);
  const missing = spawnSync("aspawn-no-such-program", ["a"]);
  assert.deepEqual({ ...missing, error: undefined }, { pid: 0, output: null, stdout: null, stderr: null, status: null, signal: null, error: undefined });
  assert.deepEqual(Object.keys(missing), ["error", "status", "signal", "output", "pid", "stdout", "stderr"]);
  const e = missing.error as Error & Record<string, unknown>;
  assert.deepEqual([e.message, e.code, e.errno, e.syscall, e.path, e.spawnargs], [
    "spawnSync aspawn-no-such-program ENOENT", "ENOENT", -2, "spawnSync aspawn-no-such-program", "aspawn-no-such-program", ["a"],
  ]);
  const timed = spawnSync("sleep", ["30"], { timeout: 100 });
  assert.equal(timed.signal, "SIGTERM");
  assert.equal(timed.status, null);
  assert.equal((timed.error as { code?: string }).code, "ETIMEDOUT");
  assert.equal(timed.error!.message, "spawnSync sleep ETIMEDOUT");
  assert.deepEqual(Object.keys(timed), ["error", "status", "signal", "output", "pid", "stdout", "stderr"]);
  // input goes to a stdin pipe only: "ignore" (and "inherit") keep theirs, as in Node; it is checked all the same.
  assert.equal(spawnSync("cat", { input: "FROM-INPUT", stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" }).stdout, "");
  assert.equal(spawnSync("cat", { input: "FROM-INPUT", stdio: ["pipe", "pipe", "pipe"], encoding: "utf8" }).stdout, "FROM-INPUT");
  assert.throws(() => spawnSync("cat", { input: 5 as never, stdio: ["ignore", "pipe", "pipe"] }), { code: "ERR_INVALID_ARG_TYPE" });
  const big = spawnSync("yes", { maxBuffer: 100 });
  assert.equal((big.error as { code?: string }).code, "ENOBUFS");
  // Past maxBuffer the child is killed at once, and the read that passed it
  // is kept whole, as Node does (it was killed only a 64 KiB read later).
  const t0 = Date.now();
  const idle = spawnSync("sh", ["-c", "printf 0123456789; exec sleep 30"], { maxBuffer: 4 });
  assert.ok(Date.now() - t0 < 10_000, `${Date.now() - t0} ms`);
  assert.deepEqual([(idle.error as { code?: string }).code, idle.status, idle.signal, String(idle.stdout)], ["ENOBUFS", null, "SIGTERM", "0123456789"]);
  assert.throws(() => execSync("printf 0123456789; exec sleep 30", { maxBuffer: 4 }), (e: Error & Record<string, unknown>) => {
    assert.equal(e.code, "ENOBUFS");
    return true;
  });
  assert.ok(Date.now() - t0 < 20_000, `${Date.now() - t0} ms`);
});

test("spawnSync: a fractional maxBuffer is taken, as Node takes it (3.14 lets 3 bytes through)", async () => {
  const ok = spawnSync("printf", ["abc"], { maxBuffer: 3.14, encoding: "utf8" });
  assert.equal(ok.error, undefined);
  assert.equal(ok.stdout, "abc");
  const over = spawnSync("printf", ["abcd"], { maxBuffer: 3.14 });
  assert.equal((over.error as { code?: string }).code, "ENOBUFS");
  const half = spawnSync("printf", ["a"], { maxBuffer: 0.5 });
  assert.equal((half.error as { code?: string }).code, "ENOBUFS");
  assert.throws(() => execFileSync("printf", ["abcd"], { maxBuffer: 3.5 }), (e: Error & Record<string, unknown>) => e.code === "ENOBUFS");
});

test("spawnSync: maxBuffer 0 is no limit, as Node's sync runner has it (exec and execFile fail on any output)", async () => {
  const r = spawnSync("sh", ["-c", "head -c 300000 /dev/zero"], { maxBuffer: 0 });
  assert.equal(r.error, undefined);
  assert.equal(r.stdout!.length, 300000);
  assert.equal(String(execSync("echo hello", { maxBuffer: 0 })), "hello\n");
  const [e, out] = await call((cb) => execFile("sh", ["-c", "echo hello"], { maxBuffer: 0 }, cb));
  assert.equal((e as { code?: string }).code, "ERR_CHILD_PROCESS_STDIO_MAXBUFFER");
  assert.equal(out, "");
});

test("execFile and exec hand spawn the options Node 20's do: argv0 is not one of them", async () => {
  const [, out] = await call((cb) => execFile("sh", ["-c", "echo $0"], { argv0: "custom" } as never, cb));
  assert.equal(out, "sh\n");
  const [, shOut] = await call((cb) => exec("echo $0", { argv0: "zz" } as never, cb));
  assert.equal(shOut, "/bin/sh\n");
});

test("execSync, execFileSync: stdout returned; a failure throws Node's error with status and output", () => {
  assert.equal(execSync("echo hi").toString(), "hi\n");
  assert.equal(execFileSync("echo", ["a", "b"], { encoding: "utf8" }), "a b\n");
  assert.throws(() => execSync("echo out; echo oops >&2; exit 2", { stdio: "pipe" }), (e: Error & Record<string, unknown>) => {
    assert.equal(e.message, "Command failed: echo out; echo oops >&2; exit 2\noops\n");
    assert.equal(e.status, 2);
    assert.equal(String(e.stdout), "out\n");
    assert.equal(String(e.stderr), "oops\n");
    return true;
  });
  assert.throws(() => execFileSync("aspawn-no-such-program"), (e: Error & Record<string, unknown>) => {
    assert.equal(e.code, "ENOENT");
    assert.equal(e.message, "spawnSync aspawn-no-such-program ENOENT");
    assert.equal(e.status, null);
    return true;
  });
});

test("execSync: the child's stderr goes to ours when stdio is not given, as Node does", async () => {
  const r = await runFixture("cp-exec-sync-stderr");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "to-parent-stderr\n");
  assert.equal(r.stdout, "captured\n");
});

if (runtime === "node") {
  test("exec, spawnSync: the same results as node:child_process (the oracle)", async () => {
    const both = <T>(f: (m: typeof cp) => T): [T, T] => [f(cp), f(nodeCp as unknown as typeof cp)];
    const strip = (r: ReturnType<typeof spawnSync>) => ({ ...r, pid: undefined, error: r.error && [r.error.message, (r.error as { code?: string }).code] });
    for (const args of [["sh", ["-c", "echo a; exit 4"]], ["sleep", ["5"], { timeout: 50 }], ["nope-x", []], ["cat", [], { input: "x", encoding: "utf8" }]] as const) {
      const [ours, node] = both((m) => strip(m.spawnSync(args[0], args[1] as unknown as string[], args[2] as object)));
      assert.deepEqual(ours, node, args[0]);
    }
    const [a, b] = both((m) => promisify(m.exec)("echo x; exit 1").catch((e: Record<string, unknown>) => [e.message, e.code, e.stdout, e.stderr, e.killed, e.signal, e.cmd]));
    assert.deepEqual(await a, await b);
  });
}

test("exec: output read without streams decodes as one would whole: a character split between writes, invalid bytes", async () => {
  const [e, out, err] = await call((cb) => exec("printf '\\303'; sleep 0.1; printf '\\251x\\377\\342\\202'; printf '\\360\\237' >&2; sleep 0.1; printf '\\230\\200' >&2", cb));
  assert.equal(e, null);
  assert.equal(out, Buffer.from([0xc3, 0xa9, 0x78, 0xff, 0xe2, 0x82]).toString("utf8"));
  assert.equal(err, "\u{1f600}");
  const [, bytes] = await call((cb) => exec("printf '\\303'; sleep 0.1; printf '\\251'", { encoding: "buffer" }, cb));
  assert.deepEqual([...(bytes as Buffer)], [0xc3, 0xa9]);
});

test("exec: stdout asked for after output came gets the rest, a character split at that moment included", async () => {
  let child!: ReturnType<typeof exec>;
  const done = call((cb) => (child = exec("printf 'a\\303'; sleep 0.4; printf '\\251 b'", cb)));
  await new Promise((r) => setTimeout(r, 200)); // 'a' and half of 'é' were read
  const seen: string[] = [];
  child.stdout!.on("data", (c: string) => seen.push(c));
  assert.equal(child.stdout!.readableEncoding, "utf8");
  assert.equal(child.stdio[1], child.stdout);
  const [e, out] = await done;
  assert.equal(e, null);
  assert.equal(out, "aé b");
  assert.equal(seen.join(""), "é b");
});

test("exec: the streams asked for after the end are ended and closed, and emit nothing more, as Node's", async () => {
  let child!: ReturnType<typeof execFile>;
  const [e, out] = await call((cb) => (child = execFile("echo", ["hi"], cb)));
  assert.deepEqual([e, out], [null, "hi\n"]);
  assert.deepEqual(child.stdio.map((s) => [s?.destroyed, s?.closed]), [[true, true], [true, true], [true, true]]);
  assert.equal(child.stdout!.readableEnded, true);
  const late: string[] = [];
  for (const [name, s] of [["stdin", child.stdin!], ["stdout", child.stdout!], ["stderr", child.stderr!]] as const) {
    s.on("close", () => late.push(`${name} close`));
    s.on("end", () => late.push(`${name} end`));
  }
  await finished(child.stdout!); // rejected ERR_STREAM_PREMATURE_CLOSE when it was destroyed unended
  const piped = new PassThrough();
  child.stderr!.pipe(piped);
  assert.deepEqual(await piped.toArray(), []);
  const chunks: unknown[] = [];
  for await (const c of child.stdout!) chunks.push(c);
  assert.deepEqual(chunks, []);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(late, []);
  // Killed by maxBuffer: destroyed before its end, as Node's.
  let big!: ReturnType<typeof exec>;
  const [e2] = await call((cb) => (big = exec("yes", { maxBuffer: 10 }, cb)));
  assert.equal(e2!.code, "ERR_CHILD_PROCESS_STDIO_MAXBUFFER");
  assert.deepEqual([big.stdout!.destroyed, big.stdout!.readableEnded], [true, false]);
});

test("exec: its stdout given to another child as stdin goes to that child whole; exec reads again once that child exits", async () => {
  const gather = (c: ReturnType<typeof cp.spawn>) => new Promise<string>((resolve) => {
    let got = "";
    c.stdout!.on("data", (d) => (got += d)).on("end", () => resolve(got));
  });
  // Written after the other child started: exec's own read raced cat's for each line, and took some (3 runs of 4).
  let a!: ReturnType<typeof exec>;
  const outA = call((cb) => (a = exec("sleep 0.1; printf 'one\\n'; sleep 0.1; printf 'two\\n'", cb)));
  const cat = cp.spawn("cat", [], { stdio: [a.stdout!, "pipe", "inherit"] });
  assert.equal(await gather(cat), "one\ntwo\n");
  assert.deepEqual((await outA).slice(0, 2), [null, ""]);
  // The other child ends first: what it left is exec's (Node leaves the stream paused, and its callback never comes).
  let b!: ReturnType<typeof exec>;
  const outB = call((cb) => (b = exec("sleep 0.3; printf 'late\\n'", cb)));
  const quick = cp.spawn("true", [], { stdio: [b.stdout!, "pipe", "inherit"] });
  assert.equal(await gather(quick), "");
  assert.deepEqual((await outB).slice(0, 2), [null, "late\n"]);
});
