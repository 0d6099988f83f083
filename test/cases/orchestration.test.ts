// Pipelines, buffered helpers, batches, process groups and trees.
import { existsSync, mkdtempSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { assert, nativeTest, test } from "../adapter.ts";
import { equalBytes, randomBytes, readAll } from "../bytes.ts";
import { alive, childrenOfUs, descendants } from "../proc.ts";
import { sleep, until, within } from "../wait.ts";
import { $, BatchError, ExitError, map, pipeline, PipelineError, runAll, type RunResult, spawn, type Subprocess } from "../../src/index.ts";

nativeTest(["kernel pipes"], "pipeline: 3 stages move 100 MiB exactly, through kernel pipes only", async () => {
  const data = randomBytes(100 * 1024 * 1024, 3);
  const p = pipeline([["cat", [], { stdin: "pipe" }], ["cat"], ["cat"]]);
  const [a, b, c] = p.stages as [typeof p.stages[0], typeof p.stages[0], typeof p.stages[0]];
  await Promise.all(p.stages.map((s) => s.spawned));
  // stage 2 reads the very pipe stage 1 writes; so does stage 3 from 2.
  assert.equal(readlinkSync(`/proc/${b.pid}/fd/0`), readlinkSync(`/proc/${a.pid}/fd/1`));
  assert.equal(readlinkSync(`/proc/${c.pid}/fd/0`), readlinkSync(`/proc/${b.pid}/fd/1`));
  assert.match(readlinkSync(`/proc/${b.pid}/fd/0`), /^pipe:/);
  const writing = (async () => {
    const w = p.stdin!.getWriter();
    for (let off = 0; off < data.length; off += 4 << 20) await w.write(data.subarray(off, off + (4 << 20)));
    await w.close();
  })();
  const [out] = await Promise.all([readAll(p.stdout), writing]);
  assert.ok(equalBytes(out, data));
  const statuses = await p.exited;
  assert.deepEqual(statuses.map((s) => s.exitCode), [0, 0, 0]);
}, 120000);

test("pipeline: pipefail names the failing stage; without it only the last counts", async () => {
  const e = await pipeline([["sh", ["-c", "echo x; exit 3"]], ["cat"], ["wc", ["-l"]]]).exited.catch((e) => e);
  assert.ok(e instanceof PipelineError);
  assert.equal(e.stage, 0);
  assert.equal(e.exitCode, 3);
  assert.match(e.message, /^Pipeline stage 0 failed with exit code 3: sh -c 'echo x; exit 3'/);
  const ok = pipeline([["sh", ["-c", "exit 3"]], ["true"]], { pipefail: false });
  assert.deepEqual((await ok.exited).map((s) => s.exitCode), [3, 0]);
  assert.equal(await pipeline([["printf", ["b\\na\\n"]], ["sort"]]).text(), "a\nb\n");
  // pipefail is a boolean, checked before anything starts ("no" used to mean true).
  const before = childrenOfUs().length;
  assert.throws(() => pipeline([["true"]], { pipefail: "no" as never }), /^TypeError: pipefail must be a boolean, got "no"/);
  assert.equal(childrenOfUs().length, before);
  // A stream already read cannot be piped again.
  const a = spawn("echo", ["x"]);
  await a.text();
  assert.throws(() => spawn("cat", [], { stdin: a.stdout! }), /already read/);
});

test("pipeline: a stage that never runs kills the others at once and is named, with its cause", async () => {
  for (const [stages, stage] of [
    [[["sleep", ["30"]], ["aspawn-no-such-program"]], 1], // the reader missing: the producer never writes
    [[["aspawn-no-such-program"], ["sleep", ["30"]]], 0], // the producer missing: the reader is killed, not named
    [[["sleep", ["30"]], ["cat", [], { cwd: "/nonexistent-aspawn" }]], 1],
  ] as const) {
    const t0 = Date.now();
    const p = pipeline(stages as never);
    const e = await p.exited.catch((e: unknown) => e);
    assert.ok(e instanceof PipelineError, String(e));
    assert.ok(Date.now() - t0 < 10_000, `${Date.now() - t0} ms: the other stage was waited for`);
    assert.equal(e.stage, stage);
    assert.match(e.message, new RegExp(`^Pipeline stage ${stage} failed to start \\((ENOENT: .*, execve|ENOENT: cwd .* does not exist, chdir)\\): `));
    assert.equal(e.statuses[stage], undefined);
    assert.equal(e.statuses[1 - stage]?.signal, "SIGKILL");
  }
  // A stage killed by its timeout says so.
  const t = await pipeline([["sleep", ["30"], { timeout: 100 }], ["cat"]]).exited.catch((e: unknown) => e);
  assert.ok(t instanceof PipelineError);
  assert.match(t.message, /^Pipeline stage 0 timed out after 100 ms and was killed with SIGTERM: sleep 30$/);
});

test("helpers: text(), json(), bytes(), lines() on tricky input", async () => {
  assert.equal(await spawn("echo", ["hi"]).text(), "hi\n");
  assert.deepEqual(await spawn("echo", ['{"a":[1,2]}']).json(), { a: [1, 2] });
  assert.deepEqual([...await spawn("printf", ["\\001\\002"]).bytes()], [1, 2]);
  const lines: string[] = [];
  // CRLF, an empty line, a final line without newline, and "é" split
  // across two writes (and so across chunks).
  const p = spawn("sh", ["-c", "printf 'a\\r\\nb\\n\\n'; printf '\\303'; sleep 0.05; printf '\\251\\nlast'"]);
  for await (const line of p.lines()) lines.push(line);
  assert.deepEqual(lines, ["a", "b", "", "é", "last"]);
  // Only "\n" or "\r\n" ends a line: a "\r" at the very end is the last line's, as with $ (it was dropped).
  const cr: string[] = [];
  for await (const line of spawn("printf", ["x\\r\\ny\\r"]).lines()) cr.push(line);
  assert.deepEqual(cr, ["x", "y\r"]);
  assert.deepEqual(await $`printf ${"x\r\ny\r"}`.lines(), ["x", "y\r"]);
  const q = spawn("echo", ["x"]);
  await q.text();
  await assert.rejects(q.text(), /already read/);
});

test("runAll: 500 jobs, concurrency 8, never more than 8 alive, in completion order", async () => {
  // Children we had before (a test runner may keep a helper process).
  const before = new Set(childrenOfUs());
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, childrenOfUs().filter((p) => !before.has(p)).length)), 2);
  const jobs = Array.from({ length: 500 }, (_, i) => ["sh", ["-c", `exit ${i % 3 === 0 ? 0 : 0}`]] as const);
  let n = 0;
  for await (const s of runAll(jobs, { concurrency: 8 })) {
    assert.equal(s.status, "fulfilled");
    n++;
  }
  clearInterval(sampler);
  assert.equal(n, 500);
  assert.ok(peak <= 8 && peak > 0, `peak ${peak}`);
  // Completion order: the slow first job comes last.
  const order: number[] = [];
  for await (const s of runAll([["sleep", ["0.3"]], ["sleep", ["0.1"]], ["true"]], { concurrency: 3 })) {
    order.push(s.index);
  }
  assert.deepEqual(order, [2, 1, 0]);
  const all = await runAll([["echo", ["a"]], ["echo", ["b"]]]).all();
  assert.deepEqual(all.map((r) => r.stdout), ["a\n", "b\n"]);
}, 60000);

test("runAll, map: bad input is a TypeError naming it before any job starts", async () => {
  const dir = mkdtempSync(`${tmpdir()}/aspawn-batch-`);
  const marker = `${dir}/ran`;
  // Before: job 0 ran, then the batch failed with a BatchError for job 1.
  assert.throws(() => runAll([["touch", [marker]], 42 as never]), /^TypeError: jobs\[1\]: a job is \[file, args\?, options\?\] or a function, got 42$/);
  assert.throws(() => runAll([[7 as never]]), /^TypeError: jobs\[0\]: a job is/);
  assert.throws(() => runAll(null as never), /^TypeError: jobs must be iterable \(an array\), got null$/);
  // Before: any value was taken by its truthiness ("no" meant fail fast).
  assert.throws(() => runAll([["true"]], { failFast: "no" as never }), /^TypeError: failFast must be a boolean, got "no"$/);
  await assert.rejects(map([1], 5 as never), /^TypeError: map\(\): fn must be a function, got 5$/);
  await assert.rejects(map(7 as never, () => 1), /^TypeError: items must be iterable \(an array\), got 7$/);
  await assert.rejects(map([1], () => 1, { concurrency: 0 }), /^TypeError: concurrency must be a positive integer, got 0$/);
  await sleep(100);
  assert.equal(existsSync(marker), false, "a job ran");
  rmSync(dir, { recursive: true, force: true });
});

test("runAll: failFast kills the siblings and names the failure", async () => {
  const t0 = performance.now();
  const e = await runAll([["sleep", ["10"]], ["sleep", ["10"]], ["sh", ["-c", "sleep 0.1; exit 4"]]], { concurrency: 3 })
    .all().catch((e) => e);
  assert.ok(e instanceof BatchError);
  assert.equal(e.failures.length, 1);
  assert.equal(e.failures[0]!.index, 2);
  assert.ok(e.failures[0]!.error instanceof ExitError);
  assert.match(e.message, /^1 of 3 jobs failed: #2: Command failed with exit code 4/);
  assert.ok(performance.now() - t0 < 3000);
  assert.deepEqual(childrenOfUs(), []);
  // Without failFast everything runs; the failures are reported at the end.
  const results: string[] = [];
  const f = await (async () => {
    for await (const s of runAll([["sh", ["-c", "exit 1"]], ["echo", ["ok"]]], { failFast: false })) results.push(s.status);
  })().catch((e) => e);
  assert.ok(f instanceof BatchError);
  assert.deepEqual(results.sort(), ["fulfilled", "rejected"]);
});

test("runAll: first() takes the first success and kills the rest", async () => {
  const r = await runAll([["sleep", ["10"]], ["sh", ["-c", "echo fast"]]]).first();
  assert.equal(r.stdout, "fast\n");
  assert.deepEqual(childrenOfUs(), []);
  await assert.rejects(runAll([["false"], ["false"]]).first(), BatchError);
  await assert.rejects(runAll([]).first(), /^BatchError: the batch has no jobs$/);
});

test("runAll: aborting mid-batch leaves no process", async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error("enough")), 100);
  const jobs = Array.from({ length: 20 }, () => ["sleep", ["10"]] as const);
  await assert.rejects(runAll(jobs, { concurrency: 4, signal: ac.signal }).all(), /enough/);
  assert.deepEqual(childrenOfUs(), []);
});

test("map: function jobs with a concurrency limit, results in input order", async () => {
  const out = await map([3, 1, 2], async (n) => (await spawn("sh", ["-c", `sleep 0.0${n}; echo ${n}`]).text()).trim(), {
    concurrency: 2,
  });
  assert.deepEqual(out, ["3", "1", "2"]);
  const statuses = await map(["true", "true"], (f) => spawn(f));
  assert.deepEqual(statuses.map((s) => s.exitCode), [0, 0]);
});

nativeTest(["processGroup"], "kill: group takes down grandchildren; tree reaches one that called setsid", async () => {
  const g = spawn("sh", ["-c", "sleep 100 & sleep 100 & wait"], { processGroup: true, stdout: "ignore" });
  await g.spawned;
  assert.ok(await until(() => descendants(g.pid).length === 2));
  const kids = descendants(g.pid);
  assert.equal(g.kill("SIGTERM", { group: true }), true);
  await g.exited;
  assert.ok(await until(() => kids.every((k) => !alive(k))), "grandchildren gone");
  assert.throws(() => spawn("true").kill("SIGTERM", { group: true }), /no process group of its own/);
  // Misspelt or mistyped options: before, kill() signalled the child alone and returned true.
  const m = spawn("sleep", ["100"], { stdout: "ignore" });
  assert.throws(() => m.kill("SIGTERM", { grop: true } as never), /kill\(\): unknown option "grop" \(the options are group and tree\)/);
  assert.throws(() => m.kill("SIGTERM", true as never), /kill\(\): options must be an object/);
  assert.throws(() => m.kill("SIGTERM", { tree: "yes" } as never), /kill\(\): tree must be a boolean, got "yes"/);
  assert.equal(await within(m.exited, 100), "timeout", "nothing was signalled");
  assert.equal(m.kill("SIGKILL", {}), true);
  await m.exited;

  const t = spawn("sh", ["-c", "setsid sleep 100 & sleep 100"], { stdout: "ignore" });
  assert.ok(await until(() => descendants(t.pid).length === 2));
  const escaped = descendants(t.pid);
  assert.equal(t.kill("SIGKILL", { tree: true }), true);
  await t.exited;
  assert.ok(await until(() => escaped.every((k) => !alive(k))), "the setsid grandchild is gone too");
});

nativeTest(["processGroup"], "timeout: the whole group is killed, SIGKILL after forceKillAfter", async () => {
  const p = spawn("sh", ["-c", "trap '' TERM; sleep 10 & wait"], {
    processGroup: true, stdout: "ignore", timeout: 1000, forceKillAfter: 200, // time to set the trap
  });
  await p.spawned;
  assert.ok(await until(() => descendants(p.pid).length === 1));
  const kids = descendants(p.pid);
  const s = await p.exited;
  assert.equal(s.signal, "SIGKILL");
  assert.ok(await until(() => kids.every((k) => !alive(k))));
});

test("runAll: a Subprocess job returned after the batch stopped is stopped at once, with SIGKILL after forceKillAfter", async () => {
  const t0 = performance.now();
  const late = async () => {
    await sleep(150); // the batch fails at 50 ms
    return spawn("sleep", ["5"], { stdout: "ignore" });
  };
  const stubborn = () => spawn("sh", ["-c", "trap '' TERM; sleep 5"], { stdout: "ignore", forceKillAfter: 100 });
  const fail = async () => {
    await sleep(50);
    throw new Error("boom");
  };
  await assert.rejects(map([0, 1, 2], (i) => [fail, late, stubborn][i]!(), { concurrency: 3 }), BatchError);
  assert.ok(performance.now() - t0 < 2000, `the batch ended after ${Math.round(performance.now() - t0)} ms`);
});

test("runAll: first() looks past failures unless failFast is given; batches leave no listener on the caller's signal", async () => {
  const v = await runAll([["sh", ["-c", "exit 1"]], ["sh", ["-c", "sleep 0.1; echo ok"]]]).first() as RunResult;
  assert.equal(v.stdout, "ok\n");
  await assert.rejects(runAll([["sh", ["-c", "exit 1"]], ["sh", ["-c", "sleep 0.1"]]], { failFast: true }).first(), BatchError);

  const ac = new AbortController();
  let added = 0, removed = 0;
  const add = ac.signal.addEventListener.bind(ac.signal), remove = ac.signal.removeEventListener.bind(ac.signal);
  ac.signal.addEventListener = ((...a: Parameters<typeof add>) => (added++, add(...a))) as typeof add;
  ac.signal.removeEventListener = ((...a: Parameters<typeof remove>) => (removed++, remove(...a))) as typeof remove;
  for (let i = 0; i < 3; i++) await runAll([["true"]], { signal: ac.signal }).all();
  await runAll([["true"]], { signal: ac.signal }).first();
  assert.equal(added, 4);
  assert.equal(removed, 4);
});

test("pipes: a child's stdout handed to another child after the first exited keeps its output; an empty one reads as EOF", async () => {
  const a = spawn("echo", ["hello"]);
  await a.exited;
  assert.equal(await spawn("cat", [], { stdin: a.stdout! }).text(), "hello\n");
  const big = spawn("head", ["-c", "50000", "/dev/zero"]);
  await big.exited;
  assert.equal((await spawn("wc", ["-c"], { stdin: big.stdout! }).text()).trim(), "50000");
  const empty = spawn("true");
  await empty.exited;
  assert.equal(await spawn("cat", [], { stdin: empty.stdout! }).text(), "");
});

test("pipeline and $ pipe(): a stage stopped by its timeout or abort stops the stages before it, so the timeout bounds the whole; those are not blamed", async () => {
  const quick = async (name: string, go: () => PromiseLike<unknown>, message: RegExp) => {
    const t0 = performance.now();
    const e: any = await Promise.resolve(go()).catch((e) => e);
    const ms = performance.now() - t0;
    assert.ok(ms < 2500, `${name}: took ${ms} ms (the producer ran its 5 s)`);
    assert.match(String(e?.message), message, name);
  };
  await quick("pipeline, last stage", () => pipeline([["sleep", ["5"]], ["cat", [], { timeout: 200 }]]).text(),
    /^Pipeline stage 1 timed out after 200 ms and was killed with SIGTERM: cat$/);
  // The stages after it read its end of output: cat ends at once, and is not blamed.
  await quick("pipeline, first stage", () => pipeline([["sleep", ["5"], { timeout: 200 }], ["cat"]]).exited,
    /^Pipeline stage 0 timed out after 200 ms and was killed with SIGTERM: sleep 5$/);
  await quick("$ pipe(), last stage", () => $`sleep 5`.pipe($({ timeout: 200 })`cat`),
    /^Command was killed with SIGTERM \(timed out after 200 ms\): sleep 5 \| cat$/);
  await quick("$ pipe(), first stage", () => $({ timeout: 200 })`sleep 5`.pipe($`cat`),
    /^Command was killed with SIGTERM \(timed out after 200 ms\): sleep 5 \| cat$/);
  // nothrow() on the stage that timed out: forgiven, and the next stage's output of what it got is the result.
  const t0 = performance.now();
  const sorted = await $({ timeout: 300 })`sh -c ${"echo b; echo a; exec sleep 5"}`.nothrow().pipe($`sort`);
  assert.equal(sorted.stdout, "a\nb\n");
  assert.equal(sorted.timedOut, true);
  assert.ok(performance.now() - t0 < 2500);
  // A stage killed for another's stop is not blamed: the rightmost failure that happened on its own is.
  const grep = await $`sleep 5`.pipe($({ timeout: 300 })`sh -c ${"cat >/dev/null; exit 2"}`).catch((e) => e);
  assert.match(grep.message, /^Command was killed with SIGTERM \(timed out after 300 ms\): sleep 5 \| sh -c/);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 200);
  await quick("$ pipe(), aborted", () => $`sleep 5`.pipe($({ signal: ac.signal })`cat`), /\(aborted\): sleep 5 \| cat$/);
});

test("pipeline: text()'s PipelineError keeps the stdout it read and the failing stage's unread stderr", async () => {
  const e = await pipeline([
    ["sh", ["-c", "echo out; echo e0 >&2"], { stderr: "ignore" }],
    ["sh", ["-c", "cat; echo e1 >&2; exit 3"], { stderr: "pipe" }],
  ]).text().catch((e) => e);
  assert.ok(e instanceof PipelineError, String(e));
  assert.equal(e.stage, 1);
  assert.equal(e.stdout, "out\n");
  assert.equal(e.stderr, "e1\n");
  assert.equal(e.message, "Pipeline stage 1 failed with exit code 3: sh -c 'cat; echo e1 >&2; exit 3'\ne1");
  // exited's PipelineError reads nothing: no output fields.
  const x = await pipeline([["sh", ["-c", "exit 4"]]]).exited.catch((e) => e);
  assert.equal(x.stdout, undefined);
  assert.equal(x.stderr, undefined);
});

test("runAll, map: a returned Subprocess fails its job as its helpers judge it: timedOut, the stderr nobody read, reject: false", async () => {
  // Was an ExitError saying only "killed with SIGTERM", timedOut false, durationMs 0.
  const e = await map([1], () => spawn("sleep", ["5"], { timeout: 100 })).catch((x: unknown) => x);
  assert.ok(e instanceof BatchError, String(e));
  const cause = e.failures[0]!.error;
  assert.ok(cause instanceof ExitError, String(cause));
  assert.equal(cause.timedOut, true);
  assert.match(cause.message, /^Command was killed with SIGTERM \(timed out after 100 ms\): sleep 5/);
  assert.ok(cause.durationMs >= 90, String(cause.durationMs));
  const failed = await runAll([() => spawn("sh", ["-c", "echo why >&2; exit 3"], { stderr: "pipe" })]).all().catch((x: unknown) => x);
  const exit = (failed as BatchError).failures[0]!.error as ExitError;
  assert.equal(exit.exitCode, 3);
  assert.equal(exit.stderr, "why\n");
  // reject: false on the spawn is kept: the job is fulfilled with its status (was a failure).
  const [status] = await map([1], () => spawn("sh", ["-c", "exit 4"], { reject: false }));
  assert.equal(status!.exitCode, 4);
  // Its output stays its own: read after the batch, as after `exited`.
  const kept: Subprocess[] = [];
  await map([1], () => kept[kept.push(spawn("echo", ["later"])) - 1]!);
  assert.equal(await kept[0]!.text(), "later\n");
  // A descendant holding its stdout does not hold the job: it ends with the child, as `exited` does.
  const t0 = performance.now();
  const [daemon] = await map([1], () => spawn("sh", ["-c", "sleep 3 & echo hi"], { timeout: 2000 }));
  assert.equal(daemon!.exitCode, 0);
  assert.ok(performance.now() - t0 < 1500, `the job waited ${Math.round(performance.now() - t0)} ms for a descendant`);
});
