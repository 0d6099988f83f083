// stdio beyond fds of ours: the "pipe"/"inherit"/"ignore" shorthand, files
// the child opens itself, merges of one child fd into another, and extra
// pipes (socketpairs) on stdio[3+] — each on real processes. Bad values
// (TypeErrors) are rows of test/bad-input.ts.
import { assert, test } from "../adapter.ts";
import {
  chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { readAll, text } from "../bytes.ts";
import { $, type Options, run, spawn, SpawnError } from "../../src/index.ts";

const NOBODY = 65534;
const both = ["-c", "echo out; echo err >&2; echo out2"];

/** A fresh temporary directory, removed after fn. */
async function inTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(`${tmpdir()}/aspawn-stdio-`);
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The SpawnError that `spawned` rejects with. */
async function failure(options: Options, file = "true"): Promise<SpawnError> {
  const e = await spawn(file, [], options).spawned.then(() => null, (x: unknown) => x);
  assert.ok(e instanceof SpawnError, `expected a SpawnError, got ${String(e)}`);
  return e;
}

// -- the shorthand

test("stdio shorthand: \"pipe\" pipes all of 0-2 (spawn and run)", async () => {
  const r = await run("sh", both, { stdio: "pipe" });
  assert.deepEqual([r.stdout, r.stderr], ["out\nout2\n", "err\n"]);
  const p = spawn("cat", [], { stdio: "pipe" });
  assert.ok(p.stdin && p.stdout && p.stderr);
  const w = p.stdin.getWriter();
  await w.write(new TextEncoder().encode("fed"));
  await w.close();
  assert.equal(text(await readAll(p.stdout)), "fed");
  assert.equal((await p.exited).exitCode, 0);
});

test("stdio shorthand: \"ignore\" and \"inherit\" leave no stream, and run() captures nothing", async () => {
  for (const stdio of ["ignore", "inherit"] as const) {
    const p = spawn("true", [], { stdio });
    assert.deepEqual([p.stdin, p.stdout, p.stderr], [null, null, null], stdio);
    await p.exited;
  }
  const r = await run("sh", ["-c", "echo gone; echo gone >&2"], { stdio: "ignore" });
  assert.deepEqual([r.stdout, r.stderr], ["", ""]);
});

test("stdio shorthand: stdin/stdout/stderr given win, and run()'s input still pipes stdin", async () => {
  const r = await run("sh", ["-c", "cat; echo hidden >&2"], { stdio: "ignore", stdout: "pipe", input: "in" });
  assert.deepEqual([r.stdout, r.stderr], ["in", ""]);
  const p = spawn("true", [], { stdio: "ignore", stderr: "pipe" });
  assert.deepEqual([p.stdout === null, p.stderr !== null], [true, true]);
  await p.exited;
});

test("stdio shorthand: $'s quiet() captures what \"inherit\" would show", async () => {
  const r = await $({ stdio: "inherit" })`sh -c ${"echo o; echo e >&2"}`.quiet();
  assert.deepEqual([r.stdout, r.stderr], ["o\n", "e\n"]);
});

// -- merges

test("merge: stderr \"stdout\" is one pipe, in the order written; run() gives it all in stdout", async () => {
  const r = await run("sh", both, { stderr: "stdout" });
  assert.deepEqual([r.stdout, r.stderr], ["out\nerr\nout2\n", ""]);
  const p = spawn("sh", both, { stderr: "stdout" });
  assert.equal(p.stderr, null);
  assert.equal(await p.text(), "out\nerr\nout2\n");
});

test("merge: stdout \"stderr\" follows stderr; { child } chains to the final fd", async () => {
  const r = await run("sh", both, { stdout: "stderr" });
  assert.deepEqual([r.stdout, r.stderr], ["", "out\nerr\nout2\n"]);
  // 2 -> 3 -> 1: stderr copies fd 3, a copy of stdout.
  const c = await run("sh", ["-c", "echo a; echo b >&2; echo c >&3"], {
    stdio: ["ignore", "pipe", { child: 3 }, { child: 1 }],
  });
  assert.deepEqual([c.stdout, c.stderr], ["a\nb\nc\n", ""]);
});

test("merge: follows stdout into an inherited fd of ours and into a file", async () => {
  await inTemp(async (dir) => {
    const fd = openSync(`${dir}/ours`, "w");
    try {
      await run("sh", both, { stdout: fd, stderr: "stdout" });
    } finally {
      closeSync(fd);
    }
    assert.equal(readFileSync(`${dir}/ours`, "utf8"), "out\nerr\nout2\n");
    await run("sh", both, { cwd: dir, stdout: { file: "log" }, stderr: "stdout" });
    assert.equal(readFileSync(`${dir}/log`, "utf8"), "out\nerr\nout2\n");
  });
});

test("merge: stdio[3] = { child: 1 } writes into stdout's pipe", async () => {
  const r = await run("sh", ["-c", "echo x >&3"], { stdio: ["ignore", "pipe", "pipe", { child: 1 }] });
  assert.equal(r.stdout, "x\n");
});

// -- files

test("file: stdout relative to cwd, truncated, then appended to twice", async () => {
  await inTemp(async (dir) => {
    writeFileSync(`${dir}/out.txt`, "old content that is longer\n");
    await run("echo", ["one"], { cwd: dir, stdout: { file: "out.txt" } });
    assert.equal(readFileSync(`${dir}/out.txt`, "utf8"), "one\n");
    await run("echo", ["two"], { cwd: dir, stdout: { file: "out.txt", append: true } });
    await run("echo", ["three"], { cwd: dir, stdout: { file: "out.txt", append: true } });
    assert.equal(readFileSync(`${dir}/out.txt`, "utf8"), "one\ntwo\nthree\n");
  });
});

test("file: mode of a new file, less the child's umask; an existing file keeps its mode", async () => {
  await inTemp(async (dir) => {
    await run("true", [], { cwd: dir, umask: 0o022, stdout: { file: "a", mode: 0o640 } });
    assert.equal(statSync(`${dir}/a`).mode & 0o7777, 0o640);
    await run("true", [], { cwd: dir, umask: 0o077, stderr: { file: "b" } });
    assert.equal(statSync(`${dir}/b`).mode & 0o7777, 0o600);
    chmodSync(`${dir}/a`, 0o604);
    await run("true", [], { cwd: dir, stdout: { file: "a", mode: 0o600 } });
    assert.equal(statSync(`${dir}/a`).mode & 0o7777, 0o604);
  });
});

test("file: stdin read-only from a file; stdio[3] written", async () => {
  await inTemp(async (dir) => {
    writeFileSync(`${dir}/in`, "from a file\n");
    const r = await run("sh", ["-c", "cat; (echo no >&0) 2>/dev/null || echo read-only"], { cwd: dir, stdin: { file: "in" } });
    assert.equal(r.stdout, "from a file\nread-only\n");
    await run("sh", ["-c", "echo three >&3"], { cwd: dir, stdio: ["ignore", "pipe", "pipe", { file: "fd3" }] });
    assert.equal(readFileSync(`${dir}/fd3`, "utf8"), "three\n");
  });
});

test("file: a missing directory is a SpawnError naming the fd (step) and the path (message)", async () => {
  await inTemp(async (dir) => {
    const e = await failure({ cwd: dir, stdout: { file: "no/such/out.txt" } });
    assert.deepEqual([e.step, e.code, e.path], ["open stdout", "ENOENT", "no/such/out.txt"]);
    assert.match(e.message, /"no\/such\/out\.txt": no such file or directory, open stdout\)/);
    const e3 = await failure({ stdio: ["ignore", "ignore", "ignore", { file: `${dir}/nope/x` }] });
    assert.deepEqual([e3.step, e3.code], ["open stdio[3]", "ENOENT"]);
    assert.ok(e3.message.includes(`${dir}/nope/x`), e3.message);
    const e0 = await failure({ stdin: { file: `${dir}/missing` } });
    assert.deepEqual([e0.step, e0.code], ["open stdin", "ENOENT"]);
  });
});

test("file: opened with the child's credentials, after uid (EACCES as nobody; owned by nobody)", async () => {
  await inTemp(async (dir) => {
    mkdirSync(`${dir}/root-only`, { mode: 0o755 });
    const e = await failure({ uid: NOBODY, gid: NOBODY, stdout: { file: `${dir}/root-only/x` } });
    assert.deepEqual([e.step, e.code], ["open stdout", "EACCES"]);
    mkdirSync(`${dir}/open`);
    chmodSync(`${dir}/open`, 0o777);
    chmodSync(dir, 0o755);
    await run("echo", ["hi"], { uid: NOBODY, gid: NOBODY, stdout: { file: `${dir}/open/mine` } });
    assert.equal(statSync(`${dir}/open/mine`).uid, NOBODY);
  });
});

// -- extra pipes

test("extra pipe: stdio[3] \"pipe\" is read by us (sh -c 'echo x >&3')", async () => {
  const p = spawn("sh", ["-c", "echo x >&3"], { stdio: ["ignore", "ignore", "inherit", "pipe"] });
  assert.equal(p.stdio.length, 4);
  assert.deepEqual([p.stdio[0], p.stdio[1], p.stdio[2]], [null, null, null]);
  assert.equal(text(await readAll(p.stdio[3]!.readable)), "x\n");
  assert.equal((await p.exited).exitCode, 0);
});

test("subprocess.stdio has an entry per stdio[3+], null where it is no pipe, with or without a pipe after it", async () => {
  const only = spawn("true", [], { stdio: ["ignore", "ignore", "ignore", 2, "ignore"] });
  assert.deepEqual(only.stdio, [null, null, null, null, null]); // was [null, null, null]: stdio[3] undefined
  const mixed = spawn("true", [], { stdio: ["ignore", "ignore", "ignore", 2, "pipe", null] });
  assert.equal(mixed.stdio.length, 6);
  assert.deepEqual([mixed.stdio[3], mixed.stdio[5]], [null, null]);
  assert.ok(mixed.stdio[4]?.readable);
  await Promise.all([only.exited, mixed.exited]);
});

test("extra pipe: both directions on one fd; closing writable is EOF for the child", async () => {
  const q = spawn("sh", ["-c", 'while read l <&4; do echo "got $l" >&4; done; echo done'], {
    stdio: ["ignore", "pipe", "inherit", null, "pipe"],
  });
  assert.equal(q.stdio[3], null);
  const w = q.stdio[4]!.writable.getWriter();
  await w.write(new TextEncoder().encode("a\nb\n"));
  await w.close();
  assert.equal(text(await readAll(q.stdio[4]!.readable)), "got a\ngot b\n");
  assert.equal(await q.text(), "done\n");
  assert.equal((await q.exited).exitCode, 0);
});

test("extra pipe: cancelling readable leaves writable to the child; writable asked for after the exit closes cleanly", async () => {
  const q = spawn("sh", ["-c", "read l <&3; echo \"got $l\""], { stdio: ["ignore", "pipe", "inherit", "pipe"] });
  await q.stdio[3]!.readable.cancel();
  const w = q.stdio[3]!.writable.getWriter();
  await w.write(new TextEncoder().encode("after cancel\n"));
  await w.close();
  assert.equal(await q.text(), "got after cancel\n");
  assert.equal((await q.exited).exitCode, 0);
  // Never touched while it ran (as a Node Duplex ends its writable side once the readable ended).
  const p = spawn("sh", ["-c", "echo x >&3"], { stdio: ["ignore", "ignore", "inherit", "pipe"] });
  assert.equal(text(await readAll(p.stdio[3]!.readable)), "x\n");
  await p.exited;
  await p.stdio[3]!.writable.close();
  const late = spawn("true", [], { stdio: ["ignore", "ignore", "inherit", "pipe"] });
  await late.exited;
  const e = await late.stdio[3]!.writable.getWriter().write(new Uint8Array([1])).catch((x) => x);
  assert.equal(e?.code, "EPIPE");
});

test("extra pipe: a program that never touches it exits, and its stream ends", async () => {
  const p = spawn("true", [], { stdio: ["ignore", "ignore", "inherit", "pipe", "pipe"] });
  assert.equal((await p.exited).exitCode, 0);
  assert.equal((await readAll(p.stdio[4]!.readable)).length, 0);
});

test("extra pipe: one nobody read is closed once the child exited (no fd kept), and reads as empty", async () => {
  const sockets = () => readdirSync(`/proc/${process.pid}/fd`).map((fd) => {
    try {
      return readlinkSync(`/proc/${process.pid}/fd/${fd}`);
    } catch {
      return "";
    }
  }).filter((l) => l.startsWith("socket:"));
  const before = sockets();
  const q = spawn("true", [], { stdio: ["ignore", "ignore", "inherit", "pipe"] });
  const during = sockets();
  await q.exited;
  const after = sockets();
  const ours = during.filter((s) => !before.includes(s));
  assert.ok(ours.length >= 1, "the socketpair's end was open while the child ran");
  assert.deepEqual(after.filter((s) => ours.includes(s)), [], "and is closed once it exited");
  assert.equal((await readAll(q.stdio[3]!.readable)).length, 0);
});
