// Bad input is a TypeError thrown synchronously, before anything is spawned.
import { assert, test } from "../adapter.ts";
import { run, spawn } from "../../src/index.ts";
import { openFds } from "../fds.ts";

const bad: [string, () => unknown, RegExp][] = [
  ["file not a string", () => spawn(42 as never), /file must be a string/],
  ["empty file", () => spawn(""), /file must not be empty/],
  ["NUL in file", () => spawn("a\0b"), /NUL/],
  ["args not an array", () => spawn("true", "x" as never, {}), /args must be an array|options must be an object/],
  ["non-string arg", () => spawn("true", [1 as never]), /args\[0\] must be a string/],
  ["NUL in an arg", () => spawn("true", ["a\0"]), /args\[0\].*NUL/],
  ["NUL in argv0", () => spawn("true", [], { argv0: "\0" }), /argv0/],
  ["= in env key", () => spawn("true", [], { env: { "A=B": "x" } }), /env keys/],
  ["empty env key", () => spawn("true", [], { env: { "": "x" } }), /env keys/],
  ["NUL in env value", () => spawn("true", [], { env: { A: "\0" } }), /env\.A.*NUL/],
  ["non-string env value", () => spawn("true", [], { env: { A: 1 as never } }), /env\.A must be a string/],
  ["NUL in cwd", () => spawn("true", [], { cwd: "/tmp\0" }), /cwd/],
  ["unknown stdio word", () => spawn("true", [], { stdout: "file" as never }), /stdio\[1\]/],
  ["negative fd", () => spawn("true", [], { stdin: -1 }), /stdio\[0\]/],
  ["fractional fd", () => spawn("true", [], { stderr: 1.5 }), /stdio\[2\]/],
  ["pipe as an extra fd", () => spawn("true", [], { stdio: ["ignore", "pipe", "pipe", "pipe"] }), /stdio\[3\]/],
  ["negative timeout", () => spawn("true", [], { timeout: -1 }), /timeout/],
  ["NaN timeout", () => spawn("true", [], { timeout: NaN }), /timeout/],
  ["unknown killSignal", () => spawn("true", [], { killSignal: "SIGNOPE" as never }), /killSignal must be a signal/],
  ["signal 0", () => spawn("true", [], { killSignal: 0 }), /killSignal/],
  ["inherited property as a signal name", () => spawn("true", [], { killSignal: "toString" as never }), /killSignal must be a signal/],
  ["signal not an AbortSignal", () => spawn("true", [], { signal: {} as never }), /AbortSignal/],
  ["clearEnv not boolean", () => spawn("true", [], { clearEnv: "yes" as never }), /clearEnv/],
];

for (const [name, call, message] of bad) {
  test(`validation: ${name}`, () => {
    const before = openFds();
    assert.throws(call, (e: unknown) => e instanceof TypeError && message.test((e as Error).message));
    assert.equal(openFds(), before, "nothing was opened");
  });
}

test("validation: run() rejects with the same TypeErrors", async () => {
  await assert.rejects(run("true", [1 as never]), TypeError);
  await assert.rejects(run("true", [], { input: 5 as never }), /input must be a string or a Uint8Array/);
  await assert.rejects(run("true", [], { encoding: "latin1" as never }), /encoding/);
});

test("validation: kill() with an unknown signal throws", async () => {
  const p = spawn("sleep", ["10"]);
  assert.throws(() => p.kill("SIGWHAT" as never), TypeError);
  p.kill();
  await p.exited;
});
