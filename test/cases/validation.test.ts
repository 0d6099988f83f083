// Bad input is a TypeError thrown synchronously (run(): a rejection),
// before anything is spawned: each entry of test/bad-input.ts that says so.
import { assert, test } from "../adapter.ts";
import { run, spawn } from "../../src/index.ts";
import { badInputs } from "../bad-input.ts";
import { checkBad } from "../bad-input-check.ts";
import { openFds } from "../fds.ts";

for (const c of badInputs) {
  // Entries that need files or children made for them, or that start
  // children, are judged together in hardening.test.ts; SpawnErrors come
  // from the child, not from validation.
  if (c.error !== "TypeError" || "withContext" in c || c.startsChildren) continue;
  test(`validation: ${c.name}`, async () => {
    const before = openFds();
    const problem = await checkBad(c);
    assert.equal(problem, null, problem ?? "");
    assert.equal(openFds(), before, "nothing was opened");
  });
}

test("validation: run() rejects with the same TypeErrors", async () => {
  await assert.rejects(run("true", [1 as never]), TypeError);
  await assert.rejects(run("true", [], { input: 5 as never }), /^TypeError: input must be a string, a Uint8Array .* got 5$/);
  await assert.rejects(run("true", [], { encoding: "latin1" as never }), /encoding/);
});

test("validation: peers' option names that mean something else here are TypeErrors naming ours; $ cannot be configured by assignment", async () => {
  const { runSync, $ } = await import("../../src/index.ts");
  // Each was ignored: extendEnv: false passed our whole environment on, Deno's args ran no arguments.
  await assert.rejects(run("true", [], { extendEnv: false } as never), /^TypeError: extendEnv is execa's option: here it is clearEnv: true/);
  await assert.rejects(run("true", [], { stripFinalNewline: true } as never), /^TypeError: stripFinalNewline is execa's option/);
  assert.throws(() => spawn("echo", { args: ["hi"] } as never), /^TypeError: args is Deno.Command's option/);
  assert.throws(() => spawn("true", [], { onExit() {} } as never), /^TypeError: onExit is Bun.spawn's option/);
  assert.throws(() => runSync("true", [], { cmd: ["true"] } as never), /^TypeError: cmd is Bun.spawn's option/);
  // execa 9's abort, input file and force-kill delay were ignored: no abort, no input, the default delay.
  const ac = new AbortController();
  await assert.rejects(run("cat", [], { cancelSignal: ac.signal } as never), /^TypeError: cancelSignal is execa's option: here it is signal/);
  await assert.rejects(run("cat", [], { inputFile: "/etc/hostname" } as never), /^TypeError: inputFile is execa's option: here it is stdin: \{ file \}/);
  await assert.rejects(run("true", [], { forceKillAfterDelay: 100 } as never), /^TypeError: forceKillAfterDelay is execa's option: here it is forceKillAfter/);
  await assert.rejects(run("true", [], { lines: true } as never), /^TypeError: lines is execa's option/);
  const bound = ($ as unknown as (o: object) => typeof $)({ extendEnv: false });
  await assert.rejects(Promise.resolve(bound`true`), /^TypeError: extendEnv/);
  // The values that ask for what happens here anyway are accepted.
  assert.equal((await run("echo", ["x"], { extendEnv: true, stripFinalNewline: false, lines: false } as never)).stdout, "x\n");
  // zx's $.cwd = dir was ignored.
  assert.throws(() => { ($ as unknown as Record<string, unknown>).cwd = "/tmp"; }, TypeError);
});

test("validation: a second argument that is neither args nor options is a TypeError, not no arguments", async () => {
  const { runSync } = await import("../../src/index.ts");
  assert.throws(() => spawn("echo", new Set(["a"]) as never), /^TypeError: args must be an array of strings, got a Set$/);
  assert.throws(() => spawn("echo", {} as never, {}), /^TypeError: args must be an array of strings, got an object$/);
  await assert.rejects(run("echo", "hello" as never), /^TypeError: args must be an array of strings, got "hello" \(one argument is \["hello"\]\)$/);
  assert.throws(() => runSync("echo", 5 as never), /^TypeError: args must be an array of strings, got 5$/);
  // A second list where the options go: not options with nothing set (before: the child ran, the list dropped).
  assert.throws(() => spawn("echo", ["a"], ["b"] as never), /^TypeError: options must be an object, got an array of 1$/);
  await assert.rejects(run("echo", ["a"], [] as never), /^TypeError: options must be an object, got an array of 0$/);
  assert.throws(() => runSync("echo", null as never, ["b"] as never), /^TypeError: options must be an object, got an array of 1$/);
  // Options alone, or nothing, or null for no arguments, as before.
  assert.equal((await run("echo", { stderr: "ignore" })).stdout, "\n");
  assert.equal((await run("echo", null as never, { stderr: "ignore" })).stdout, "\n");
});

test("validation: messages describe a bad value by its kind or a short preview, never dump it", async () => {
  const circular: Record<string, unknown> = { secret: "hunter2" };
  circular.self = circular;
  const long = "y".repeat(100000);
  const cases: [() => unknown, string][] = [
    [() => spawn("true", { env: new Map() as never }), "env must be an object of strings (name: value), got a Map"],
    [() => spawn("true", { env: "A=B" as never }), `env must be an object of strings (name: value), got "A=B"`],
    [() => spawn("true", { timeout: circular as never }), "timeout must be an integer number of milliseconds from 0 to 2147483647, or Infinity, got an object"],
    [() => spawn("true", { killSignal: 10n as never }), "killSignal must be a signal name or number, got 10n; known names:"],
    [() => spawn("true", { killSignal: circular as never }), "killSignal must be a signal name or number, got an object; known names:"],
    [() => spawn("true", "x" as never, { cwd: 1 } as never), 'args must be an array of strings, got "x" (one argument is ["x"])'],
    [() => spawn("true", { cwd: [1, 2, 3] as never }), "cwd must be a path or a file: URL, got an array of 3"],
    [() => spawn("true", { cwd: Symbol("s") as never }), "cwd must be a path or a file: URL, got a symbol"],
    [() => spawn("true", { argv0: (() => 1) as never }), "argv0 must be a string, got a function"],
    [() => spawn("true", { uid: 1.5 }), "uid must be an integer from 0 to 4294967294, got 1.5"],
    [() => spawn("true", { rlimits: { nofile: circular as never } }), "rlimits.nofile must be a non-negative integer below 2 ** 64, Infinity or null, got an object"],
    [() => spawn("true", { env: { [`${long}=`]: "v" } }), `env keys must be non-empty, without "=" or NUL: "${"y".repeat(40)}"… (100001 characters)`],
    [() => spawn("true", [`${long}\0`]), `args[0] must not contain NUL bytes (one at index 100000): "${"y".repeat(40)}"… (100001 characters)`],
    [() => spawn("true", { shell: Object.create(null) as never }), "shell must be a boolean or the path of a shell, got an object"],
    [() => spawn("true", { stdin: new (class Weird {})() as never }), "stdin must be"],
  ];
  for (const [call, start] of cases) {
    let e: unknown;
    try {
      call();
    } catch (x) {
      e = x;
    }
    assert.ok(e instanceof TypeError, `${start}: ${String(e)}`);
    assert.ok(e.message.startsWith(start), `${JSON.stringify(e.message.slice(0, 300))} should start ${JSON.stringify(start)}`);
    assert.ok(e.message.length < 600 && !e.message.includes("hunter2"), e.message.slice(0, 300));
  }
  const weird = (() => {
    try {
      spawn("true", { stdin: new (class Weird {})() as never });
    } catch (x) {
      return (x as Error).message;
    }
  })();
  assert.match(weird ?? "", /got a Weird$/);
  await assert.rejects(run("true", { encoding: { big: long } as never }), /^TypeError: encoding must be "utf8" or "buffer", got an object$/);
});

test("validation: kill() with an unknown signal throws", async () => {
  const p = spawn("sleep", ["10"]);
  assert.throws(() => p.kill("SIGWHAT" as never), TypeError);
  p.kill();
  await p.exited;
});
