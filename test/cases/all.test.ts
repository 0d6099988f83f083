/** run(..., { all: true }): stdout and stderr interleaved as they were read. */
import { assert, test } from "../adapter.ts";
import { $, ExitError, run } from "../../src/index.ts";

// Pauses between writes let each be read on its own: the order is then exact.
const script = "echo 1; sleep 0.05; echo 2 >&2; sleep 0.05; echo 3; sleep 0.05; echo 4 >&2";

test("all: stdout and stderr interleaved in the order written", async () => {
  const r = await run("sh", ["-c", script], { all: true });
  assert.equal(r.all, "1\n2\n3\n4\n");
  assert.equal(r.stdout, "1\n3\n");
  assert.equal(r.stderr, "2\n4\n");
  const b = await run("sh", ["-c", script], { all: true, encoding: "buffer" });
  assert.deepEqual(b.all, new TextEncoder().encode("1\n2\n3\n4\n"));
  assert.equal((await run("echo", ["x"])).all, undefined, "only when asked");
});

test("all: on an ExitError, and in a chain of $", async () => {
  const e = await run("sh", ["-c", `${script}; exit 3`], { all: true }).catch((e: unknown) => e);
  assert.ok(e instanceof ExitError, String(e));
  assert.equal(e.all, "1\n2\n3\n4\n");
  const chained = await $`sh -c ${"echo a >&2; sleep 0.05; echo b"}`.pipe($({ all: true })`sh -c ${"cat; sleep 0.05; echo c >&2"}`);
  assert.equal(chained.all, "a\nb\nc\n");
  await assert.rejects(run("true", { all: "yes" as never }), /all must be a boolean, got "yes"$/);
});
