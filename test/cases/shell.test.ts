// shell: command lines through /bin/sh -c; preferLocal; the hint for a
// command line given as a program name.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assert, nativeTest, runtimeName, test } from "../adapter.ts";
import { fixtureCommand } from "../fixtures.ts";
import { repoRoot } from "../repo-root.ts";
import { ExitError, pipeline, run, spawn, SpawnError } from "../../src/index.ts";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "aspawn-shell-"));
}

test("shell: true runs the command line with /bin/sh -c", async () => {
  const r = await run("echo $GREETING && echo two | tr o 0", { shell: true, env: { GREETING: "hi there" } });
  assert.equal(r.stdout, "hi there\ntw0\n");
  assert.equal(r.command, "/bin/sh -c 'echo $GREETING && echo two | tr o 0'");
  const e = await run("echo out; exit 3", { shell: true }).catch((e) => e);
  assert.ok(e instanceof ExitError);
  assert.equal(e.exitCode, 3);
  assert.equal(e.stdout, "out\n");
  // false is the default: the line is a program name.
  const f = await run("echo hi", { shell: false }).catch((e) => e);
  assert.ok(f instanceof SpawnError);
});

nativeTest(["argv0"], "shell: args are the positional parameters, never parsed by the shell", async () => {
  const dir = tempDir();
  try {
    const payloads = ["a  b", "; touch marker1", "$(touch marker2)", "`touch marker3`", "' && touch marker4 '", "*"];
    const r = await run(`printf '%s|' "$@"; echo "$#" "$0"`, payloads, { shell: true, cwd: dir });
    assert.equal(r.stdout, `${payloads.join("|")}|6 /bin/sh\n`);
    for (const m of ["marker1", "marker2", "marker3", "marker4"]) assert.equal(existsSync(join(dir, m)), false, m);
    // $0 is the shell with or without arguments (or argv0 when given).
    assert.equal((await run('echo "$0"', { shell: true })).stdout, "/bin/sh\n");
    assert.equal((await run('echo "$0:$1"', ["x"], { shell: true, argv0: "me" })).stdout, "me:x\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

nativeTest(["argv0"], "shell: a path or a name looked up in PATH; spawn() and pipeline() stages too", async () => {
  assert.equal((await run('echo "$0"', { shell: "sh" })).stdout, "sh\n");
  assert.equal((await run("echo ok", { shell: "/bin/sh" })).stdout, "ok\n");
  assert.equal(await spawn("echo a | tr a b", { shell: true }).text(), "b\n");
  const sorted = await pipeline([["printf 'b\\na\\n'", [], { shell: true }], ["sort"]]).text();
  assert.equal(sorted, "a\nb\n");
  const e = await run("echo hi", { shell: "/nonexistent/sh" }).catch((e) => e);
  assert.ok(e instanceof SpawnError);
  assert.equal(e.code, "ENOENT");
  assert.equal(e.message, "Command failed to start (ENOENT: no such file or directory, execve): /nonexistent/sh -c 'echo hi'");
});

test("shell: bad values are TypeErrors naming the option, before anything runs", async () => {
  for (const [shell, msg] of [[1, /^shell must be a boolean or the path of a shell, got 1$/], ["", /^shell must not be an empty string/],
    ["/bin/s\0h", /^shell must not contain NUL bytes/], [null, /^shell must be a boolean or the path of a shell, got null$/]] as const) {
    assert.throws(() => spawn("echo", { shell: shell as never }), (e: Error) => e instanceof TypeError && msg.test(e.message));
    const e = await run("echo", { shell: shell as never }).catch((e) => e);
    assert.ok(e instanceof TypeError && msg.test(e.message), String(e));
  }
  assert.throws(() => spawn("", { shell: true }), /^TypeError: file must not be empty/);
  assert.throws(() => spawn("echo \0", { shell: true }), /^TypeError: file must not contain NUL bytes/);
});

test("shell: a program name with a space that is not found suggests shell: true", async () => {
  const e = await run("echo $HOME && ls").catch((e) => e);
  assert.ok(e instanceof SpawnError);
  assert.equal(e.code, "ENOENT");
  assert.equal(
    e.message,
    "Command failed to start (ENOENT: no such file or directory, execve): 'echo $HOME && ls' — use shell: true, or split the arguments",
  );
  const spawned = await spawn("git log", ["-1"]).spawned.catch((e) => e);
  assert.match(spawned.message, / — use shell: true, or split the arguments$/);
  // Not for a name without a space, nor for a path (that names a file).
  for (const file of ["nosuch-aspawn", "./no such file"]) {
    const m = (await run(file).catch((e) => e)).message as string;
    assert.ok(!m.includes("shell: true"), m);
  }
});

test("preferLocal: node_modules/.bin from cwd upwards, before PATH", async () => {
  const root = tempDir();
  try {
    const bin = join(root, "node_modules", ".bin");
    const deep = join(root, "pkg", "src");
    mkdirSync(bin, { recursive: true });
    mkdirSync(deep, { recursive: true });
    // A local tool, and one that shadows a program in PATH.
    for (const [name, out] of [["aspawn-local-tool", "tool"], ["uname", "local uname"]] as const) {
      writeFileSync(join(bin, name), `#!/bin/sh\necho ${out} "$@"\n`);
      chmodSync(join(bin, name), 0o755);
    }
    assert.equal((await run("aspawn-local-tool", ["x"], { cwd: deep, preferLocal: true })).stdout, "tool x\n");
    assert.equal((await run("uname", { cwd: deep, preferLocal: true })).stdout, "local uname\n");
    // The child's own children find them too (it is the child's PATH).
    assert.equal((await run("uname", { cwd: deep, preferLocal: true, shell: true })).stdout, "local uname\n");
    // Every parent's, then the PATH the child would have had.
    const path = (await run("sh", ["-c", 'echo "$PATH"'], { cwd: deep, preferLocal: true, env: { PATH: "/usr/bin:/bin" } })).stdout;
    assert.ok(path.startsWith(`${join(deep, "node_modules/.bin")}:${join(root, "pkg/node_modules/.bin")}:${bin}:`), path);
    assert.ok(path.endsWith(":/node_modules/.bin:/usr/bin:/bin\n"), path);
    // Without it, or without PATH (clearEnv), the usual search.
    const e = await run("aspawn-local-tool", { cwd: deep }).catch((e) => e);
    assert.equal(e.code, "ENOENT");
    assert.equal((await run("aspawn-local-tool", { cwd: deep, preferLocal: true, clearEnv: true })).stdout, "tool\n");
    assert.equal((await run("sh", ["-c", "echo ok"], { cwd: deep, preferLocal: true, clearEnv: true })).stdout, "ok\n");
    assert.notEqual((await run("uname", { cwd: deep, preferLocal: false })).stdout, "local uname\n");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("preferLocal: without cwd (or a relative one) from the current directory", async () => {
  // This repository's own node_modules/.bin has tsc.
  assert.match((await run("tsc", ["--version"], { preferLocal: true })).stdout, /^Version \d/);
  const here = process.cwd();
  const path = (await run("sh", ["-c", 'echo "$PATH"'], { preferLocal: true, cwd: "test" })).stdout;
  assert.ok(path.startsWith(`${here}/test/node_modules/.bin:${here}/node_modules/.bin:`), path);
});

test("preferLocal: bad values are TypeErrors naming the option", async () => {
  assert.throws(() => spawn("true", { preferLocal: "yes" as never }), /^TypeError: preferLocal must be a boolean, got "yes"$/);
  const e = await run("true", { preferLocal: 1 as never }).catch((e) => e);
  assert.ok(e instanceof TypeError);
  assert.match(e.message, /^preferLocal must be a boolean, got 1$/);
  assert.throws(() => spawn("true", { preferLocal: true, cwd: 5 as never }), /^TypeError: cwd must be a path or a file: URL, got 5$/);
});

test("shell: preferLocal on Deno without --allow-env=PATH is Deno's refusal saying preferLocal asked, and how to grant it", async () => {
  if (runtimeName !== "deno") return; // Deno's permissions
  const go = async (denoAllow: string[]) => {
    const [file, ...args] = await fixtureCommand("deno-prefer-local", { denoAllow });
    return JSON.parse((await run(file!, args, { cwd: repoRoot, env: { ASPAWN_BACKEND: "" } })).stdout);
  };
  const refused = await go(["--allow-ffi", "--allow-read"]);
  assert.equal(refused.notCapable, true, JSON.stringify(refused));
  assert.match(refused.message, /^preferLocal puts node_modules\/\.bin in front of the inherited PATH, which Deno reads only with --allow-env=PATH/);
  assert.deepEqual(await go(["--allow-ffi", "--allow-read", "--allow-env=PATH"]), { stdout: "ran\n" });
});
