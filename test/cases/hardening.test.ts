// Hardening: soak, many live children, fd and memory exhaustion, output
// integrity, faults, Workers, malformed calls. Scaled down to keep the file
// near a minute per runtime; scripts/soak.sh runs the full-size figures.
import { closeSync, openSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { assert, runtimeName, test } from "../adapter.ts";
import { badInputs } from "../bad-input.ts";
import { runBadInputs } from "../bad-input-check.ts";
import { equalBytes, randomBytes, readAll } from "../bytes.ts";
import { fdList, openFds } from "../fds.ts";
import { runFixture, showFixture as show } from "../fixtures.ts";
import { gc } from "../gc.ts";
import { nofileLimit, prlimit } from "../limits.ts";
import type { LiveResult } from "../live-children.ts";
import { alive, procState, sigMask, zombieChildren } from "../proc.ts";
import { newFds, rssBytes, settle, snapshot } from "../snapshot.ts";
import type { SoakResult } from "../spawn-soak.ts";
import { sleep, within } from "../wait.ts";
import { pipeline, run, spawn, SpawnError, type Subprocess } from "../../src/index.ts";

const MiB = 1024 * 1024;
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

// ---- soak ----------------------------------------------------------------------

// Alone, 40 s on the slowest host seen; a CI run on a busy one took over 110 s.
// The limit is for a hang, not a speed check (bench/ measures speed).
test("hardening soak: 10 000 spawns of /bin/true, 64 in flight: fds, threads, zombies, RSS and maps back to baseline", async () => {
  const r = await runFixture("hard-soak", ["10000", "64", "5000"], { allowAll: true, exposeGc: true, timeoutMs: 240000 });
  assert.equal(r.code, 0, show(r));
  const s = r.json as SoakResult;
  const info = JSON.stringify(s);
  assert.equal(s.failures, 0, info);
  assert.equal(s.after.fds, s.before.fds, `fds (new: ${newFds(s.before, s.after).join(" ")}): ${info}`);
  assert.equal(s.after.zombies, 0, info);
  assert.equal(s.after.children, 0, info);
  assert.ok(s.after.unnamedThreads <= s.before.unnamedThreads, `no thread of ours left: ${info}`);
  // A runtime may start a helper of its own meanwhile (Bun's "Collector Thread").
  assert.ok(s.after.threads <= s.before.threads + 1, `threads: ${info}`);
  assert.ok(s.peak.threads <= s.before.threads + 1, `threads while spawning: ${info}`);
  assert.ok(s.gc, "a GC was available");
  // RSS within 10 %, measured after a GC that also hands back what the
  // engine keeps for reuse (test/gc.ts: gc). Live JS objects are
  // checked on their own.
  assert.ok(s.after.rss <= s.before.rss * 1.1, `RSS ${s.before.rss} -> ${s.after.rss}: ${info}`);
  assert.ok(s.after.heapUsed <= s.before.heapUsed * 1.1 + 1024 * 1024, `live JS heap ${s.before.heapUsed} -> ${s.after.heapUsed}: ${info}`);
  // Stack slots are reused: 64 kept free + 64 in flight, 2 mappings each.
  assert.ok(s.peak.maps - s.before.maps <= 2 * 128 + 64, `maps while spawning: ${info}`);
  assert.ok(s.after.maps - s.before.maps <= 2 * 128, `maps after: ${info}`);
  assert.ok(s.peak.fds - s.before.fds <= 64 * 6, `fds while spawning: ${info}`);
}, 250000);

// ---- many live children ----------------------------------------------------------

// spawn() time as the children pile up is reported by `npm run soak` (a
// benchmark), not asserted here: speed is never checked by a timed test.
test("live children: 2 000 `sleep 1000` at once under ulimit -n 20000: all spawned, killed, reaped", async () => {
  const r = await runFixture("hard-live", ["2000"], { allowAll: true, exposeGc: true, ulimit: "-n 20000", timeoutMs: 110000 });
  assert.equal(r.code, 0, show(r));
  const s = r.json as LiveResult;
  const info = JSON.stringify(s);
  assert.equal(s.nofile, 20000, info);
  assert.equal(s.spawned, 2000, info);
  assert.equal(s.alive, 2000, info);
  assert.equal(s.killed, 2000, info);
  assert.equal(s.reaped, 2000, info);
  assert.equal(s.left, 0, info);
  assert.equal(s.zombies, 0, info);
  assert.equal(s.after.fds, s.before.fds, `fds (new: ${newFds(s.before, s.after).join(" ")}): ${info}`);
  assert.ok(s.after.unnamedThreads <= s.before.unnamedThreads && s.after.threads <= s.before.threads + 1, `threads: ${info}`);
}, 120000);

// A parent with thousands of live children holds a pidfd for each. Copying
// (then closing) that whole table cost each child ~0.6 ms of CPU, which on
// 2 cores starved the event loop of a parent spawning in bursts: the child
// copies only the fds it needs (FDSize, the table it got, stays small) —
// for fds opened after the library's first spawn (README: "Large fd tables").
test("fd table: with 2 000 fds open, a child copies only the fds it needs, and its pipes and fds work", async () => {
  await run("true");
  const extra: number[] = [];
  try {
    for (let i = 0; i < 2000; i++) extra.push(openSync("/dev/null", "r"));
    const fd3 = openSync("/dev/null", "r");
    extra.push(fd3);
    const p = spawn("sh", ["-c", "cat; [ -e /proc/self/fd/3 ] && echo fd3; exec grep FDSize /proc/self/status"], {
      stdin: "pipe",
      stdout: "pipe",
      stdio: [undefined, undefined, undefined, fd3],
    });
    const w = p.stdin!.getWriter();
    await w.write(new TextEncoder().encode("in\n"));
    await w.close();
    const out = await p.text();
    assert.equal((await p.exited).exitCode, 0);
    const m = /^in\nfd3\nFDSize:\s+(\d+)\n$/.exec(out);
    assert.ok(m, out);
    assert.ok(Number(m![1]) <= 256, `the child's fd table: ${out}`);
  } finally {
    for (const fd of extra) closeSync(fd);
  }
});

// ---- fd exhaustion -----------------------------------------------------------------

test("fd exhaustion: at RLIMIT_NOFILE every spawn throws SpawnError EMFILE, leaks nothing, and works once raised", async () => {
  await run("true");
  await settle();
  const limit = nofileLimit();
  const base = openFds();
  // Spare fds, closed before we raise the limit again (prlimit is spawned by us).
  const spares = Array.from({ length: 16 }, () => openSync("/dev/null", "r"));
  const highest = Math.max(...readdirSync("/proc/self/fd").map(Number).filter((n) => n < 100000));
  const kids: Subprocess[] = [];
  const thrown: unknown[] = [];
  const fillers: number[] = [];
  /** Take every free fd: the reactor closes fds it held for children meanwhile. */
  const fill = () => {
    for (;;) {
      try {
        fillers.push(openSync("/dev/null", "r"));
      } catch {
        return;
      }
    }
  };
  let firstFailure = -1, runError: unknown, pipelineError: unknown;
  // (Nothing below may list /proc/self/fd until the limit is back: that needs an fd too.)
  await prlimit(process.pid, "nofile", highest + 1 + 40, limit.hard);
  try {
    // Spawn until it fails; children stay alive.
    for (let i = 0; i < 3000 && firstFailure < 0; i++) {
      try {
        // Half with a stdout pipe (pipe2 may be what fails), half without.
        kids.push(spawn("sleep", ["1000"], { stdout: i % 2 ? "pipe" : "ignore" }));
      } catch (e) {
        firstFailure = i;
        thrown.push(e);
      }
    }
    // Let the reactor close what it held for the children, and our side
    // learn they exec'd; then fill every free fd: every attempt must fail.
    await sleep(300);
    for (let i = 0; i < 20; i++) {
      fill();
      try {
        kids.push(spawn("sleep", ["1000"], { stdout: i % 2 ? "pipe" : "ignore", stderr: i % 3 ? "inherit" : "pipe" }));
      } catch (e) {
        thrown.push(e);
      }
    }
    fill();
    runError = await run("true").then(() => null, (e) => e);
    fill();
    try {
      kids.push(...pipeline([["sleep", ["1000"]], ["cat"]]).stages);
    } catch (e) {
      pipelineError = e;
    }
  } finally {
    for (const k of kids) k.kill("SIGKILL");
    for (const fd of [...fillers, ...spares]) closeSync(fd);
    await prlimit(process.pid, "nofile", limit.soft, limit.hard);
  }
  const spawned = await within(Promise.allSettled(kids.map((k) => k.spawned)), 20000);
  const exited = await within(Promise.allSettled(kids.map((k) => k.exited)), 20000);
  for (const k of kids) await k.stdout?.cancel();
  for (const k of kids) await k.stderr?.cancel();
  assert.notEqual(spawned, "timeout", "spawned settled after the limit was raised");
  assert.notEqual(exited, "timeout", "every child was reaped after the limit was raised");
  const asyncFailures = (spawned as PromiseSettledResult<void>[]).flatMap((s) =>
    s.status === "rejected" ? [`${(s.reason as SpawnError).code} ${(s.reason as SpawnError).step}`] : []
  );
  assert.equal(nofileLimit().soft, limit.soft, "limit restored");
  assert.ok(firstFailure > 0, `spawning failed at #${firstFailure}`);
  const summary = thrown.map((e) => (e instanceof SpawnError ? `${e.code} ${e.step}` : String(e)));
  assert.equal(thrown.length, 21, `thrown at the limit: ${summary.join(", ")}; children started: ${kids.length}`);
  for (const e of thrown) {
    assert.ok(e instanceof SpawnError, `thrown: ${String(e)}`);
    assert.equal(e.code, "EMFILE", `thrown: ${e.message}`);
  }
  assert.ok(runError instanceof SpawnError && runError.code === "EMFILE", `run(): ${String(runError)}`);
  assert.ok(pipelineError instanceof SpawnError && pipelineError.code === "EMFILE", `pipeline(): ${String(pipelineError)}`);
  assert.equal((await run("echo", ["again"])).stdout, "again\n");
  await settle();
  // Fewer than before is right: out of fds, the library gave the free
  // numbers of its low-fd reserve back to the process (lib/c/low_fds.c).
  assert.ok(openFds() <= base, `no fd leaked (22 failed spawns among them): ${base} -> ${openFds()}`);
  assert.equal(zombieChildren(), 0);
  // Last: failures that reached the child instead of being thrown (its fd
  // map needs free fds in its copy of our table).
  assert.deepEqual(asyncFailures, [], `${kids.length} spawned, then SpawnError thrown from #${firstFailure}; but these children failed later`);
}, 60000);

test("fd exhaustion: awaiting exited without reading stdout, 3 000 times under the usual 1024 soft limit", async () => {
  const r = await runFixture("hard-unread", ["3000"], { allowAll: true, ulimit: "-n 1024", timeoutMs: 60000 });
  assert.equal(r.code, 0, show(r));
  // Unread stdout pipes are closed only when the Subprocess is collected.
  assert.equal(r.json.failures, 0, JSON.stringify(r.json));
}, 60000);

test("fd exhaustion: pipe ends dropped unread (a descendant holds the pipes) are closed once collected", async () => {
  // With a signal that outlives them: its listener holds each Subprocess weakly once the child exited.
  for (const mode of ["", "signal"]) {
    const r = await runFixture("orphan-ends", ["20", mode], { allowAll: true, exposeGc: true, timeoutMs: 60000 });
    assert.equal(r.code, 0, show(r));
    const { held, after } = r.json as { held: number; after: number };
    assert.ok(held >= 40, `${mode}: the dropped children's pipe ends are still open before a collection: ${show(r)}`);
    assert.ok(after <= 0, `${mode}: all closed after it: ${show(r)}`);
  }
}, 60000);

// ---- memory for stacks ---------------------------------------------------------

test("memory: a request past 64 MiB is SpawnError E2BIG; stack mmap failing under RLIMIT_AS is a clean SpawnError", async () => {
  const r = await runFixture("hard-memory", [], { allowAll: true, exposeGc: true, timeoutMs: 60000 });
  assert.equal(r.code, 0, show(r));
  assert.equal(r.signal, null, show(r));
  const m = r.json;
  const info = JSON.stringify(m);
  assert.deepEqual(m.tooBig, { cls: "SpawnError", code: "E2BIG", step: "spawn", sync: true }, info);
  assert.deepEqual(m.warm, { cls: "SpawnError", code: "E2BIG", step: "execve" }, info);
  // Each attempt under the low limit: a clean, synchronous SpawnError, or
  // (when the runtime released address space meanwhile) a normal spawn.
  let clean = 0;
  for (const a of m.lowLimit) {
    if (a.cls === "SpawnError") {
      assert.ok(["ENOMEM", "EAGAIN"].includes(a.code) && a.sync && a.step === "spawn", info);
      clean++;
    } else if (a.cls === "RangeError") {
      // The runtime's own allocation failed (Bun: building the SpawnError
      // itself): not the library's doing, and no crash.
      assert.match(a.message, /Out of memory/, info);
    } else assert.deepEqual(a, { cls: "none", outcome: { cls: "SpawnError", code: "E2BIG", step: "execve" } }, info);
  }
  assert.ok(clean >= 1, `at least the first attempt failed: ${info}`);
  assert.equal(m.smallUnderLimit, "small", info);
  assert.deepEqual(m.afterRaise, { cls: "SpawnError", code: "E2BIG", step: "execve" }, info);
  assert.equal(m.normal, "ok", info);
}, 60000);

// ---- output integrity --------------------------------------------------------------

test("integrity: 100 children writing stdout and stderr interleaved: every byte received, exactly", async () => {
  const jobs = Array.from({ length: 100 }, async (_, i) => {
    const size = 65536 + ((i * 7919) % 1000) * 977; // 64 KiB .. 1 MiB, odd sizes
    const data = randomBytes(size, i + 1);
    const tee = i % 2 === 0;
    // tee: the same bytes to stdout and stderr, block by block; else cat,
    // then a word on stderr.
    const p = spawn("sh", ["-c", tee ? "tee /dev/fd/2" : "cat; echo done >&2"], { stdin: "pipe", stderr: "pipe" });
    const writing = (async () => {
      const w = p.stdin!.getWriter();
      for (let off = 0; off < size; off += 61 * 1024 + 7) await w.write(data.subarray(off, off + 61 * 1024 + 7));
      await w.close();
    })();
    const [out, err, , status] = await Promise.all([readAll(p.stdout), readAll(p.stderr), writing, p.exited]);
    const problems: string[] = [];
    if (status.exitCode !== 0) problems.push(`exit ${status.exitCode}`);
    if (out.length !== size || sha(out) !== sha(data)) problems.push(`stdout ${out.length}/${size} bytes, checksum differs`);
    if (tee && (err.length !== size || !equalBytes(err, data))) problems.push(`stderr ${err.length}/${size} bytes differ`);
    if (!tee && new TextDecoder().decode(err) !== "done\n") problems.push(`stderr ${JSON.stringify(new TextDecoder().decode(err))}`);
    return problems.length ? `#${i}: ${problems.join(", ")}` : null;
  });
  const bad = (await Promise.all(jobs)).filter(Boolean);
  assert.deepEqual(bad, []);
}, 120000);

test("integrity: a slow reader applies backpressure (the child blocks) and memory stays bounded", async () => {
  const total = 256 * MiB;
  const p = spawn("head", ["-c", String(total), "/dev/zero"]);
  await p.spawned;
  const written = () => Number(/^wchar: (\d+)/m.exec(readFileSync(`/proc/${p.pid}/io`, "utf8"))![1]);
  await sleep(300);
  assert.equal(p.exitStatus, null, "not finished while nobody reads");
  assert.equal(procState(p.pid), "S", "blocked in write");
  const w0 = written();
  assert.ok(w0 <= 1 * MiB, `wrote ${w0} bytes while nobody read`);
  gc();
  const rss0 = rssBytes();
  let peak = rss0, n = 0, chunks = 0, paused = false;
  for await (const c of p.stdout!) {
    n += c.length;
    if (++chunks % 16 === 0) {
      await sleep(1);
      peak = Math.max(peak, rssBytes());
    }
    if (!paused && n >= total / 2) {
      // Stop reading halfway: the child stops too.
      paused = true;
      const before = written();
      await sleep(200);
      assert.ok(written() - before <= 1 * MiB, `wrote ${written() - before} bytes during a 200 ms pause`);
      assert.equal(p.exitStatus, null);
    }
  }
  assert.equal(n, total);
  assert.equal((await p.exited).exitCode, 0);
  assert.ok(peak - rss0 < 128 * MiB, `RSS grew by ${Math.round((peak - rss0) / MiB)} MiB while 256 MiB passed`);
}, 60000);

// ---- faults --------------------------------------------------------------------------

test("faults: children SIGKILLed right after spawn(), before exec: clean exits, nothing left", async () => {
  await run("true");
  await settle();
  const before = snapshot();
  const own = readFileSync("/proc/self/comm", "utf8").trim();
  let preExec = 0, spawnedResolved = 0;
  const problems: string[] = [];
  for (let i = 0; i < 200; i++) {
    const p = spawn("sleep", ["100"], { stdin: "pipe", stderr: "pipe" });
    assert.equal(p.kill("SIGKILL"), true);
    // Not reaped before we yield: the zombie still tells whether it had exec'd.
    const t0 = performance.now();
    while (procState(p.pid) !== "Z" && performance.now() - t0 < 2000) { /* spin */ }
    const comm = readFileSync(`/proc/${p.pid}/comm`, "utf8").trim();
    if (comm !== "sleep") preExec++;
    const [sp, ex, out, err] = await Promise.all([
      p.spawned.then(() => "resolved", (e) => e),
      p.exited.then((s) => s, (e) => e),
      readAll(p.stdout),
      readAll(p.stderr),
    ]);
    if (sp === "resolved") spawnedResolved++;
    const ok = ex instanceof SpawnError || ex.signal === "SIGKILL";
    if (!ok || out.length || err.length) problems.push(`#${i} (${comm}): ${JSON.stringify(ex)} out ${out.length} err ${err.length}`);
    await p.stdin!.close(); // (a write would fail with EPIPE: see the stdin test below)
  }
  assert.deepEqual(problems, []);
  assert.ok(preExec > 0, `none of 200 was killed before exec (comm ${own})`);
  await settle();
  const after = snapshot();
  assert.equal(after.fds, before.fds);
  assert.equal(after.zombies, 0);
  assert.ok(after.maps - before.maps <= 2 * 128, `maps ${before.maps} -> ${after.maps}`);
  assert.equal((await run("echo", ["fine"])).stdout, "fine\n");
  // (spawnedResolved: the status pipe says EOF for a child killed before exec.)
  assert.ok(spawnedResolved >= 0);
}, 60000);

test("faults: children that exit at once; EPIPE on their stdin is a rejected write", async () => {
  for (let i = 0; i < 100; i++) {
    const p = spawn("sh", ["-c", "exit 3"], { stdin: "pipe", stderr: "pipe" });
    const [out, err, s] = await Promise.all([readAll(p.stdout), readAll(p.stderr), p.exited]);
    assert.equal(s.exitCode, 3);
    assert.equal(out.length + err.length, 0);
    const w = p.stdin!.getWriter();
    await assert.rejects(w.write(new Uint8Array(100)), (e: { code?: string }) => e.code === "EPIPE");
  }
  // run() with input for a child that reads none of it.
  const r = await run("true", [], { input: randomBytes(4 * MiB) });
  assert.equal(r.exitCode, 0);
});

test("faults: a stdin pipe is closed once its write failed with EPIPE, or once the child is gone and it was never used", async () => {
  await run("true");
  await settle();
  const base = openFds();
  for (let i = 0; i < 20; i++) {
    const p = spawn("true", [], { stdin: "pipe", stdout: "ignore" });
    await p.exited;
    const w = p.stdin!.getWriter();
    await assert.rejects(w.write(new Uint8Array(10)), (e: { code?: string }) => e.code === "EPIPE");
    // Whatever the caller tries afterwards.
    await w.abort().catch(() => {});
    await w.close().catch(() => {});
  }
  await settle();
  const afterEpipe = openFds() - base;
  for (let i = 0; i < 20; i++) await spawn("true", [], { stdin: "pipe", stdout: "ignore" }).exited;
  await settle();
  const afterUnused = openFds() - base - afterEpipe;
  // Its stream taken (or a writer holding it open) but nothing written: closed at the exit all the same (was: one fd per child until collected).
  const kept: unknown[] = [];
  for (let i = 0; i < 20; i++) {
    const p = spawn("true", [], { stdin: "pipe", stdout: "ignore" });
    kept.push(p.stdin!.getWriter());
    await p.exited;
  }
  await settle();
  const afterTaken = openFds() - base - afterEpipe - afterUnused;
  assert.deepEqual({ afterEpipe, afterUnused, afterTaken }, { afterEpipe: 0, afterUnused: 0, afterTaken: 0 }, "fds left open by 20 children each");
  assert.equal(kept.length, 20);
});

test("faults: a stdin write that fails with a TypeError (a string) closes the pipe: the child sees its end and exits", async () => {
  const p = spawn("cat", [], { stdin: "pipe" });
  const w = p.stdin!.getWriter();
  await assert.rejects(w.write("text" as never), /stdin accepts Uint8Array chunks/);
  // Was: the pipe stayed open, cat never saw EOF, and neither settled.
  const [out, s] = await Promise.all([p.text(), p.exited]);
  assert.equal(s.exitCode, 0);
  assert.equal(out, "");
});

test("faults: a child closing its stdout (and stdin) early while we write: EPIPE rejects the write, SIGPIPE stays ignored", async () => {
  const SIGPIPE_BIT = 1n << 12n;
  const ignored = sigMask("SigIgn") & SIGPIPE_BIT;
  const data = randomBytes(8 * MiB, 5);
  const feed = async (p: Subprocess) => {
    const w = p.stdin!.getWriter();
    try {
      for (let off = 0; off < data.length; off += 65536) await w.write(data.subarray(off, off + 65536));
      await w.close();
      return "all written";
    } catch (e) {
      return (e as { code?: string }).code ?? String(e);
    }
  };
  // stdout closed at once, stdin after 1000 bytes.
  const a = spawn("sh", ["-c", "exec 1>&-; head -c 1000 >/dev/null"], { stdin: "pipe" });
  const [aw, aout, as] = await Promise.all([feed(a), readAll(a.stdout), a.exited]);
  assert.equal(aw, "EPIPE");
  assert.equal(aout.length, 0);
  assert.equal(as.exitCode, 0);
  // head: 1000 bytes out, then it exits.
  const b = spawn("head", ["-c", "1000"], { stdin: "pipe" });
  const [bw, bout] = await Promise.all([feed(b), readAll(b.stdout), b.exited]);
  assert.equal(bw, "EPIPE");
  assert.ok(equalBytes(bout, data.subarray(0, 1000)));
  // stdout closed at once, stdin read to the end.
  const c = spawn("sh", ["-c", "exec 1>&-; cat >/dev/null"], { stdin: "pipe" });
  const [cw, cout, cs] = await Promise.all([feed(c), readAll(c.stdout), c.exited]);
  assert.equal(cw, "all written");
  assert.equal(cout.length, 0);
  assert.equal(cs.exitCode, 0);
  assert.equal(sigMask("SigIgn") & SIGPIPE_BIT, ignored, "SIGPIPE disposition unchanged");
  assert.equal(ignored, SIGPIPE_BIT, "the runtime ignores SIGPIPE");
}, 30000);

test("faults: signals (SIGUSR2, SIGCHLD) arriving throughout 1 000 spawns: every spawn works", async () => {
  let got = 0;
  const onSignal = () => void got++;
  process.on("SIGUSR2", onSignal);
  process.on("SIGCHLD", onSignal);
  // From a timer of ours, and from another process all the time (signals
  // then also land while spawn() is in its native call).
  const killer = spawn("sh", ["-c", `while kill -USR2 ${process.pid} && kill -CHLD ${process.pid}; do :; done`], { stdout: "ignore" });
  const timer = setInterval(() => {
    process.kill(process.pid, "SIGUSR2");
    process.kill(process.pid, "SIGCHLD");
  }, 1);
  let ok = 0;
  const errors: string[] = [];
  try {
    let next = 0;
    const worker = async () => {
      while (next < 1000) {
        next++;
        try {
          const s = await spawn("/bin/true", [], { stdout: "ignore" }).exited;
          if (s.exitCode === 0) ok++;
          else errors.push(JSON.stringify(s));
        } catch (e) {
          errors.push(String(e));
        }
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
  } finally {
    clearInterval(timer);
    killer.kill("SIGKILL");
    await killer.exited;
    await sleep(100);
    process.off("SIGUSR2", onSignal);
    process.off("SIGCHLD", onSignal);
  }
  assert.deepEqual(errors.slice(0, 5), []);
  assert.equal(ok, 1000);
  assert.ok(got >= 10, `${got} signals handled (standard signals coalesce)`);
}, 60000);

test("faults: kill() after exit and after reap returns false and never reaches another process", async () => {
  // Exited but not yet reaped (we have not yielded): the pidfd still names the zombie.
  const z = spawn("true", [], { stdout: "ignore" });
  const t0 = performance.now();
  while (procState(z.pid) !== "Z" && performance.now() - t0 < 2000) { /* spin */ }
  const zombieKill = z.kill("SIGTERM"); // harmless either way: the pid is still the zombie's
  assert.equal(typeof zombieKill, "boolean");
  await z.exited;
  assert.equal(z.kill(), false);
  assert.equal(z.kill("SIGKILL"), false);
  assert.equal(z.kill("SIGKILL", { tree: true }), false);

  // The pid (and the group id) of a reaped child given to a new process,
  // through ns_last_pid: neither kill() nor kill({ group }) may reach it.
  const a = spawn("true", [], { processGroup: true, stdout: "ignore" });
  await a.exited;
  let b: Subprocess | undefined;
  for (let i = 0; i < 20 && !b; i++) {
    try {
      writeFileSync("/proc/sys/kernel/ns_last_pid", String(a.pid - 1));
    } catch {
      break; // not allowed here: covered by the zombie case only
    }
    const c = spawn("sleep", ["100"], { processGroup: true, stdout: "ignore" });
    if (c.pid === a.pid) b = c;
    else {
      c.kill("SIGKILL");
      await c.exited;
    }
  }
  if (!b) return;
  try {
    await b.spawned;
    assert.equal(a.kill("SIGKILL"), false, "kill() of a reaped child");
    const group = a.kill("SIGKILL", { group: true });
    await sleep(100);
    assert.ok(alive(b.pid), `the process that got pid ${a.pid} was killed (kill({ group: true }) returned ${group})`);
    assert.equal(group, false, "kill({ group: true }) of a reaped child");
  } finally {
    b.kill("SIGKILL");
    await b.exited;
  }
});

// ---- Workers -----------------------------------------------------------------------

test(`threads: ${runtimeName === "node" ? "worker_threads" : "Workers"} spawn concurrently with the main thread; Workers come and go`, async () => {
  const r = await runFixture("hard-workers", ["4", "260"], { allowAll: true, exposeGc: true, bundles: ["hard-worker"], timeoutMs: 110000 });
  assert.equal(r.code, 0, show(r));
  const w = r.json;
  const info = JSON.stringify(w);
  for (const x of w.workers) assert.deepEqual(x.errors, [], info);
  assert.deepEqual(w.workers.map((x: { ok: number }) => x.ok), [150, 150, 150, 150], info);
  assert.equal(w.main.ok, 150, info);
  assert.equal(w.libMaps.during, w.libMaps.before, `the library is loaded once: ${info}`);
  assert.equal(w.mainAfter, "ok", info);
  // Churn: each Worker opens a reactor channel (a pipe) and none is closed
  // when the Worker ends; the library has 256 channels.
  assert.equal(w.churn.ok, 260, `Workers that spawned fine out of 260 (first failure #${w.churn.firstFailure}): ${info}`);
  assert.ok(w.churn.fds <= 8, `fds left by 260 Workers: ${w.churn.fds}: ${info}`);
}, 120000);

// A Worker's spawn once read the process's environ natively: racing with
// setenv on the main thread (a segfault in strlen, 3 runs of 3 in C), and
// not the Worker's own process.env (Node gives each Worker a copy).
test("threads: a child spawned from a Worker sees that Worker's environment", async () => {
  const r = await runFixture("worker-env", [], { allowAll: true, exposeGc: true, bundles: ["worker-env-worker"], timeoutMs: 60000 });
  assert.equal(r.code, 0, show(r));
  assert.deepEqual(r.json, { worker: "w|\n", main: runtimeName === "node" ? "m\n" : r.json.main }, show(r));
}, 70000);

// ---- malformed calls -----------------------------------------------------------------

test(`bad input: ${badInputs.length} malformed calls, each a documented TypeError or SpawnError, no crash, no hang`, async () => {
  assert.ok(badInputs.length >= 40);
  await run("true");
  await settle();
  const fds = openFds();
  const failures = await runBadInputs();
  await settle();
  assert.deepEqual(failures, []);
  assert.equal(openFds(), fds, `nothing left open: ${fdList().join(" ")}`);
  assert.equal(zombieChildren(), 0);
}, 60000);

test("bad input: relative paths resolve in the child's cwd", async () => {
  assert.equal((await run("bin/echo", ["rel"], { cwd: "/usr" })).stdout, "rel\n");
  assert.equal((await run("./echo", ["dot"], { cwd: "/bin" })).stdout, "dot\n");
});

test("bad input: a spawn that throws leaves the stream it was handed readable without blocking the event loop", async () => {
  const a = spawn("sh", ["-c", "sleep 0.5; echo late"]);
  assert.throws(() => spawn("cat", [], { stdin: a.stdout!, cgroup: "/nonexistent-cgroup" }), SpawnError);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const t0 = performance.now();
  const text = await a.text();
  clearInterval(timer);
  assert.equal(text, "late\n");
  const ms = performance.now() - t0;
  assert.ok(ticks >= ms / 10 / 4, `${ticks} timer ticks in ${Math.round(ms)} ms: reading ${"a.stdout"} blocked the event loop`);
});
