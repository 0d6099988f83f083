// $: tagged templates as argv words (no shell), results like run()'s,
// bound options, pipes between commands, and attempts to inject.
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assert, nativeTest, test } from "../adapter.ts";
import { $, capabilities, Command, ExitError, spawn, SpawnError } from "../../src/index.ts";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "aspawn-dollar-"));
}

/** `printf [%s]` prints each of its arguments in brackets: the argv, exactly. */
test("$: literal words split on whitespace; quotes; each value one word", async () => {
  assert.equal(await $`printf [%s] a  b	c
    d`.text(), "[a][b][c][d]"); // a real tab between b and c
  assert.equal(await $`printf [%s] 'a b' "c  d" --x="y z" '' "" it'  's"ok"`.text(), "[a b][c  d][--x=y z][][][it  sok]");
  assert.equal(await $`printf [%s] "it's" 'say "hi"'`.text(), `[it's][say "hi"]`);
  const spaced = "a b  c", empty = "";
  assert.equal(await $`printf [%s] ${spaced} ${empty} ${3} ${-1.5} ${10n}`.text(), "[a b  c][][3][-1.5][10]");
  // Joined with the text or quotes a value touches; an array standing alone expands.
  assert.equal(await $`printf [%s] --dir=${spaced}/x ${"a"}${"b"} "q ${spaced} q" '${"'"}'`.text(), "[--dir=a b  c/x][ab][q a b  c q][']");
  assert.equal(await $`printf [%s] ${["x y", 2, ""]} z ${[]}`.text(), "[x y][2][][z]");
  // The literal text is taken as written: a backslash is an ordinary character.
  assert.equal(await $`printf [%s] a\nb b\tc C:\dir`.text(), "[a\\nb][b\\tc][C:\\dir]");
  assert.equal((await $`printf ${"%s\n"} x`).stdout, "x\n");
  // The program itself may be a value.
  assert.equal(await $`${"printf"} [%s] ok`.text(), "[ok]");
  // Non-ASCII literal text arrives as written on every runtime (Bun hands it to tags as \u escapes).
  assert.equal(await $`printf [%s] café 'naïve user' 日本 x😀y`.text(), "[café][naïve user][日本][x😀y]");
  assert.equal(await $`printf [%s] \u0041`.text(), "[\\u0041]");
});

test("$: interpolated values are never parsed by a shell (injection attempts)", async () => {
  const dir = tempDir();
  try {
    const payloads = [
      "; touch marker1", "$(touch marker2)", "`touch marker3`", "| touch marker4", "&& touch marker5",
      "'; touch marker6; '", "\"; touch marker7; \"", "\ntouch marker8", "x > marker9", "*",
    ];
    const $d = $({ cwd: dir });
    for (const p of payloads) {
      assert.equal(await $d`printf [%s] ${p}`.text(), `[${p}]`);
      assert.equal(await $d`printf [%s] pre${p}post "q${p}q"`.text(), `[pre${p}post][q${p}q]`);
      // Even handed to a shell, a value is one positional parameter.
      assert.equal(await $d`sh -c ${'printf "[%s]" "$1"'} sh ${p}`.text(), `[${p}]`);
    }
    assert.equal(await $d`printf [%s] ${payloads}`.text(), payloads.map((p) => `[${p}]`).join(""));
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("$: resolves like run(), rejects with ExitError or SpawnError; nothrow()", async () => {
  const r = await $`sh -c ${"echo out; echo err >&2"}`;
  assert.equal(r.stdout, "out\n");
  assert.equal(r.stderr, "err\n");
  assert.equal(r.exitCode, 0);
  assert.equal(r.command, "sh -c 'echo out; echo err >&2'");
  const e = await $`sh -c ${"echo oops >&2; exit 2"}`.catch((e) => e);
  assert.ok(e instanceof ExitError);
  assert.equal(e.exitCode, 2);
  assert.equal(e.message, "Command failed with exit code 2: sh -c 'echo oops >&2; exit 2'\noops");
  const n = await $`sh -c ${"exit 3"}`.nothrow();
  assert.equal(n.exitCode, 3);
  assert.equal((await $({ reject: false })`sh -c ${"exit 4"}`).exitCode, 4);
  const s = await $`nosuch-aspawn --flag`.nothrow().catch((e) => e);
  assert.ok(s instanceof SpawnError);
  assert.equal(s.code, "ENOENT");
  // text(), lines() and json() reject the same way.
  assert.ok((await $`false`.text().catch((e) => e)) instanceof ExitError);
  assert.ok((await $`false`.lines().catch((e) => e)) instanceof ExitError);
  assert.equal(await $`sh -c ${"echo partial; exit 1"}`.nothrow().text(), "partial");
  // finally() and then() are the promise's.
  let done = false;
  await $`true`.finally(() => void (done = true));
  assert.ok(done);
});

test("$: text() drops one final newline, lines() splits, json() parses", async () => {
  assert.equal(await $`printf ${"a\n\n"}`.text(), "a\n");
  assert.equal(await $`printf ${"a\r\n"}`.text(), "a");
  assert.equal(await $`printf ab`.text(), "ab");
  assert.equal(await $`true`.text(), "");
  assert.deepEqual(await $`printf ${"a\r\nb\n\nc"}`.lines(), ["a", "b", "", "c"]);
  assert.deepEqual(await $`printf ${"x\n"}`.lines(), ["x"]);
  assert.deepEqual(await $`true`.lines(), []);
  assert.deepEqual(await $`echo '{"a":[1,"b c"]}'`.json(), { a: [1, "b c"] });
  // Not JSON: a SyntaxError naming the command and showing the output, on every runtime.
  const bad = await $`echo nope`.json().catch((e) => e);
  assert.ok(bad instanceof SyntaxError);
  assert.match(bad.message, /^stdout of echo nope is not JSON \([^]+\): "nope\\n"$/);
  assert.ok(bad.cause instanceof SyntaxError);
  const spawned = (await spawn("echo", ["nope"]).json().catch((e) => e)) as Error;
  assert.match(spawned.message, /^stdout of echo nope is not JSON /);
  // The RunResult keeps every byte.
  assert.equal((await $`echo hi`).stdout, "hi\n");
  const bytes = await $({ encoding: "buffer" })`printf ${"\u00e9\n"}`;
  assert.ok(bytes.stdout instanceof Uint8Array);
  assert.deepEqual([...bytes.stdout], [0xc3, 0xa9, 10]);
  assert.equal(await $({ encoding: "buffer" })`printf ${"\u00e9\n"}`.text(), "\u00e9");
});

test("$(options): bound options, merged env, input; each $ independent", async () => {
  const dir = tempDir();
  try {
    const $a = $({ cwd: dir, env: { A: "1", B: "x" } });
    const $ab = $a({ env: { B: "2" }, input: "in" });
    assert.equal(await $ab`sh -c ${'echo "$A$B"; pwd; cat'}`.text(), `12\n${dir}\nin`);
    assert.equal(await $a`sh -c ${'echo "$A$B"; cat'}`.text(), "1x");
    assert.notEqual(await $`pwd`.text(), dir);
    const t = await $({ timeout: 100 })`sleep 5`.catch((e) => e);
    assert.ok(t instanceof ExitError && t.timedOut);
    const clear = await $({ clearEnv: true, env: { ONLY: "1" } })`sh -c ${"echo $ONLY:$HOME"}`.text();
    assert.equal(clear, "1:");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("$: quiet() captures output bound options would show", async () => {
  const $loud = $({ stderr: "inherit" });
  const q = await $loud`sh -c ${"echo e >&2"}`.quiet();
  assert.equal(q.stderr, "e\n");
  const s = await $({ stdio: ["ignore", "inherit", "inherit"] })`sh -c ${"echo o; echo e >&2"}`.quiet();
  assert.equal(s.stdout, "o\n");
  assert.equal(s.stderr, "e\n");
  // Captured by default: nothing to change.
  assert.equal((await $`echo o`.quiet()).stdout, "o\n");
});

nativeTest(["kernel pipes"], "$: pipe() connects commands with a kernel pipe", async () => {
  assert.equal(await $`printf ${"%s\n"} c a b`.pipe($`sort`).text(), "a\nb\nc");
  const three = await $`printf ${"%s\n"} c a b a`.pipe($`sort`).pipe(["uniq", ["-c"]]).lines();
  assert.deepEqual(three.map((l) => l.trim()), ["2 a", "1 b", "1 c"]);
  // The same pipe on both sides: stage 1's stdout is stage 2's stdin.
  const fds = await $`readlink /proc/self/fd/1`.pipe($`sh -c ${"cat; readlink /proc/self/fd/0"}`).lines();
  assert.equal(fds.length, 2);
  assert.match(fds[0]!, /^pipe:\[\d+\]$/);
  assert.equal(fds[0], fds[1]);
  // input goes to the first stage, stderr of every stage is collected in order.
  const r = await $({ input: "b\na\n" })`sh -c ${"cat; echo one >&2"}`.pipe($`sh -c ${"sort; echo two >&2"}`);
  assert.equal(r.stdout, "a\nb\n");
  assert.equal(r.stderr, "one\ntwo\n");
  assert.equal(r.command, "sh -c 'cat; echo one >&2' | sh -c 'sort; echo two >&2'");
  // bound options of the last stage decide the output's encoding.
  const b = await $`echo hi`.pipe($({ encoding: "buffer" })`cat`);
  assert.ok(b.stdout instanceof Uint8Array);
});

test("$: a piped command's result has the last stage's pid, as run()'s has its child's", async () => {
  // Was: no pid at all.
  const r = await $`echo hi`.pipe($`sh -c ${"cat; echo $$ >&2"}`);
  assert.equal(typeof r.pid, "number");
  assert.equal(r.stderr, `${r.pid}\n`);
});

test("$: pipe() fails as set -o pipefail does; nothrow() per stage or for all", async () => {
  const e = await $`sh -c ${"echo a; echo bad >&2; exit 3"}`.pipe($`cat`).catch((e) => e);
  assert.ok(e instanceof ExitError);
  assert.equal(e.exitCode, 3);
  assert.equal(e.stdout, "a\n");
  assert.equal(e.stderr, "bad\n");
  assert.equal(e.message, "Command failed with exit code 3: sh -c 'echo a; echo bad >&2; exit 3' | cat\nbad");
  // The rightmost failure names the status.
  const r = await $`sh -c ${"exit 3"}`.pipe($`sh -c ${"cat; exit 4"}`).nothrow();
  assert.equal(r.exitCode, 4);
  // A stage's own nothrow(): its failure does not fail the chain (grep finding nothing).
  const count = await $`grep -c nomatch /dev/null`.nothrow().pipe($`cat`);
  assert.equal(count.stdout, "0\n");
  assert.equal(count.exitCode, 1);
  const s = await $`nosuch-aspawn`.pipe($`cat`).catch((e) => e);
  assert.ok(s instanceof SpawnError);
  const l = await $`echo x`.pipe($`nosuch-aspawn`).catch((e) => e);
  assert.ok(l instanceof SpawnError);
  // A stage past the first takes no input: its stdin is the link.
  const i = await $`echo x`.pipe($({ input: "y" })`cat`).catch((e) => e);
  assert.ok(i instanceof TypeError);
  assert.match(i.message, /^stage 1: its stdin is stage 0's stdout/);
});

test("$: a command starts without being awaited; modifiers only before it starts", async () => {
  const dir = tempDir();
  try {
    const started = $({ cwd: dir })`touch marker`;
    await new Promise((r) => setTimeout(r, 0));
    assert.throws(() => started.nothrow(), /^TypeError: \$: nothrow\(\) after the command started/);
    assert.throws(() => started.pipe($`cat`), /^TypeError: \$: pipe\(\) after the command started/);
    await started;
    assert.ok(existsSync(join(dir, "marker")));
    // A command piped into another is consumed by it.
    const a = $`echo a`, b = $`cat`;
    const ab = a.pipe(b);
    assert.ok(ab instanceof Command);
    const e = await a.catch((e) => e);
    assert.ok(e instanceof TypeError);
    assert.match(e.message, /piped into another/);
    assert.throws(() => b.quiet(), /after the command was piped/);
    assert.equal(await ab.text(), "a");
    assert.throws(() => $`echo c`.pipe(5 as never), /^TypeError: \$: pipe\(\) takes a \$ command or a pipeline stage/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("$: a pipe() refused with a TypeError runs neither side, even when the error is caught", async () => {
  const dir = tempDir();
  try {
    const bad: [string, (left: Command) => unknown, RegExp][] = [
      ["self", (c) => c.pipe(c), /into itself/],
      ["number", (c) => c.pipe(42 as never), /takes a \$ command or a pipeline stage/],
      ["args", (c) => c.pipe(["cat", "notarray" as never]), /^TypeError: \$: pipe\(\) stage: args must be an array of strings, got "notarray"/],
      ["file", (c) => c.pipe([5 as never]), /^TypeError: \$: pipe\(\) stage: file must be a non-empty string, got 5/],
      ["options", (c) => c.pipe(["cat", [], "x" as never]), /^TypeError: \$: pipe\(\) stage: options must be an object/],
    ];
    const lefts: Command[] = [];
    for (const [name, call, re] of bad) {
      const left = $({ cwd: dir })`touch left-${name}`;
      lefts.push(left);
      assert.throws(() => call(left), re);
    }
    // A failing left side must not reject unobserved either.
    assert.throws(() => $`false`.pipe(42 as never), TypeError);
    const right = $({ cwd: dir })`touch right`;
    assert.throws(() => $`true`.pipe(right).pipe(["cat", "x" as never]), TypeError);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(readdirSync(dir), []);
    const e = await lefts[1]!.catch((e) => e);
    assert.ok(e instanceof TypeError);
    assert.match(e.message, /pipe\(\) was refused/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("$: bad templates and options are TypeErrors before anything runs", async () => {
  const bad: [() => unknown, RegExp][] = [
    [() => $`echo ${undefined as never}`, /^\$: the value at \$\{0\} must be a string, a number or an array of them, got undefined/],
    [() => $`echo ${"a"} ${null as never}`, /^\$: the value at \$\{1\} must be .* got null/],
    [() => $`echo ${{} as never}`, /got object/],
    [() => $`echo ${true as never}`, /got boolean/],
    [() => $`echo ${[["a"]] as never}`, /^\$: element 0 of the array at \$\{0\} must be .* got a nested array/],
    [() => $`echo -I${["a", "b"]}`, /^\$: the array at \$\{0\} touches other text or is quoted/],
    [() => $`echo ${["a"]}x`, /touches other text/],
    [() => $`echo ${["a"]}${"b"}`, /touches other text/],
    [() => $`echo "${["a"]}"`, /touches other text or is quoted/],
    [() => $`echo 'unterminated`, /^\$: unterminated ' quote/],
    [() => $`echo "a ${"b"} c`, /^\$: unterminated " quote/],
    [() => $``, /^\$: the template names no command/],
    [() => $`  ${[]} `, /names no command/],
    [() => $`ls \
      -l`, /^\$: a backslash ends a line of the template/],
    [() => $(5 as never), /^\$ takes a template or an options object/],
    [() => $({ shell: true } as never), /^shell is not an option of \$/],
  ];
  for (const [f, re] of bad) assert.throws(f, (e: Error) => e instanceof TypeError && re.test(e.message), String(re));
  // Options are checked when the command starts, as run() checks them: a rejection.
  const c = await $({ cwd: 5 as never })`true`.catch((e) => e);
  assert.ok(c instanceof TypeError);
  assert.match(c.message, /^cwd must be a path or a file: URL/);
  const t = await $({ timeout: -1 })`true`.catch((e) => e);
  assert.match(t.message, /^timeout must be/);
  const m = await $({ maxBuffer: 0 })`true`.catch((e) => e);
  assert.match(m.message, /^maxBuffer must be a positive number/);
  const n = await $`printf ${"a\0b"}`.catch((e) => e);
  assert.ok(n instanceof TypeError);
  assert.match(n.message, /^args\[0\] must not contain NUL bytes/);
});

test("$: a stage of a pipe() that fails to start, first or in the middle, has the others killed at once", async () => {
  for (const [name, make] of [
    ["first", () => $`nosuch-aspawn`.pipe($`sleep 30`)],
    ["middle", () => $`sleep 30`.pipe($`nosuch-aspawn`).pipe($`cat`)],
    ["bad cwd", () => $`sleep 30`.pipe($({ cwd: "/nonexistent-aspawn-dir" })`cat`).pipe($`cat`)],
    // (a stdin file needs the native library)
    ...(capabilities().mechanism === "portable" ? [] : [["stdin file", () => $({ stdin: { file: "/nonexistent-aspawn-dir/in" } })`cat`.pipe($`sleep 30`)]] as const),
  ] as const) {
    const t0 = performance.now();
    const e = await make().catch((e) => e);
    assert.ok(e instanceof SpawnError, `${name}: ${e}`);
    assert.ok(performance.now() - t0 < 10_000, `${name}: took ${performance.now() - t0} ms`);
  }
});

test("$: pipe() with a bound stdio shorthand links the stages; only the rest is inherited; a head's maxBuffer names stderr", async () => {
  // Was a TypeError about stdin: null, after stage 0 had run with its stdout on our terminal.
  const r = await $({ stdio: "inherit" })`echo hi`.pipe($`cat`);
  assert.equal(r.stdout, "hi\n");
  const linked = await $({ stdio: "ignore" })`printf %s linked`.pipe($`cat`).text();
  assert.equal(linked, "linked");
  // Was "(3 bytes of output)": a head's stdout is the next stage's, so stderr passed it.
  const e = await $({ maxBuffer: 3 })`sh -c ${"echo abcdef >&2"}`.pipe($`cat`).catch((x: unknown) => x);
  assert.ok(e instanceof ExitError, String(e));
  assert.match(e.message, /exceeded maxBuffer \(3 bytes of stderr\)/);
  const last = await $`echo x`.pipe($({ maxBuffer: 3 })`sh -c ${"cat; echo abcdef >&2"}`).catch((x: unknown) => x);
  assert.match((last as Error).message, /exceeded maxBuffer \(3 bytes of stderr\)/);
});
