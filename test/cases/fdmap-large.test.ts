// stdio arrays of more than 64 entries: with pipes, and a closed fd in them.
import { assert, test } from "../adapter.ts";
import { closeSync, fstatSync, openSync } from "node:fs";
import { run, spawn, SpawnError } from "../../src/index.ts";
import type { ExtraFdOption, StdioOption } from "../../src/index.ts";

type Stdio = (StdioOption | ExtraFdOption | undefined)[];

/** `length` entries, each fd from 3 up given `fd` (more than 64 entries in the fd map). */
function stdioOf(length: number, fd: number): Stdio {
  return Array.from({ length }, (_, i) => (i <= 2 ? undefined : fd));
}

test("stdio: 70 entries and run()'s pipes on 0-2", async () => {
  const zero = openSync("/dev/zero", "r"), full = openSync("/dev/full", "r");
  try {
    const stdio = stdioOf(Math.max(70, zero + 1), zero);
    const at = zero === 65 ? 66 : 65, closed = zero === 50 ? 51 : 50;
    stdio[zero] = "inherit";
    stdio[at] = full;
    stdio[closed] = null;
    const last = stdio.length - 1;
    const r = await run("sh", [
      "-c",
      `read l; echo "$l"; echo err >&2; readlink /proc/self/fd/${zero} /proc/self/fd/${at} /proc/self/fd/${last}
       for f in $(seq 0 ${last}); do [ -e /proc/self/fd/$f ] || printf '%s ' $f; done; echo`,
    ], { input: "hello\n", stdio: stdio as readonly (StdioOption | ExtraFdOption)[] });
    assert.equal(r.stdout, `hello\n/dev/zero\n/dev/full\n/dev/zero\n${closed} \n`);
    assert.equal(r.stderr, "err\n");
  } finally {
    closeSync(zero);
    closeSync(full);
  }
});

function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

test("stdio: 70 entries with a closed fd at 7: SpawnError dup2:7 at once", async () => {
  // High: the library opens its own fds at the lowest free numbers.
  let closed = 1000;
  while (isOpen(closed)) closed++;
  const stdio = stdioOf(70, 2);
  stdio[7] = closed;
  const options = { stdio: stdio as readonly (StdioOption | ExtraFdOption)[] };
  let thrown: unknown;
  try {
    spawn("true", [], { ...options, stdout: "ignore" }); // no pipe
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof SpawnError, `spawn() threw ${String(thrown)}`);
  assert.equal(thrown.code, "EBADF");
  assert.equal(thrown.step, "dup2:7");
  // run() pipes stdout and stderr.
  await assert.rejects(run("true", [], options), (e: unknown) => e instanceof SpawnError && e.step === "dup2:7");
});
