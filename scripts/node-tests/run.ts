/**
 * Node's own child_process tests, unmodified, run twice in one run: against
 * the real node:child_process (the baseline) and with aspawn/register
 * loaded (`node --import dist/register.js`), so that every require/import
 * of child_process in the test and in test/common gets aspawn/child_process.
 * Started by scripts/node-child-process-tests.sh, which says the options.
 *
 * Each file runs as Node's tools/test.py runs it: `node <its // Flags:>
 * <file>` from the checkout's root, stdin /dev/null, TEST_THREAD_ID unique
 * among the runs in flight (test/common's tmpdir is per thread id), with a
 * timeout after which its process group is killed. A file passes when it
 * exits 0; it is "skip" when test/common skipped it (it prints "1..0 #
 * Skipped"). A file whose two sides disagree runs again, both sides, one
 * at a time, so a result that does not repeat is shown as flaky.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

type Side = "baseline" | "ours";
type Outcome = "pass" | "skip" | "fail" | "timeout";
interface Run { outcome: Outcome; ms: number; code: number | null; signal: string | null; log: string }
interface Row { file: string; baseline?: Run; ours?: Run; flaky?: string; expected?: string }

function usage(msg?: string): never {
  if (msg) process.stderr.write(`node-child-process-tests: ${msg}\n`);
  process.stderr.write(
    "usage: scripts/node-child-process-tests.sh NODE_SOURCE_DIR [--jobs N] [--timeout SECONDS] [--filter REGEX] [--side both|baseline|ours] [--no-retry]\n",
  );
  process.exit(2);
}

function parseArgs(argv: string[]) {
  const o = { src: "", jobs: 2, timeout: 60, filter: /./, sides: ["baseline", "ours"] as Side[], retry: true, register: "", out: "", exceptions: "" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!, v = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === "--jobs") o.jobs = Math.max(1, Number(v()) | 0);
    else if (a === "--timeout") o.timeout = Number(v());
    else if (a === "--filter") o.filter = new RegExp(v());
    else if (a === "--side") {
      const s = v();
      if (s !== "both" && s !== "baseline" && s !== "ours") usage(`--side: both, baseline or ours, not ${s}`);
      o.sides = s === "both" ? ["baseline", "ours"] : [s];
    } else if (a === "--no-retry") o.retry = false;
    else if (a === "--register") o.register = v();
    else if (a === "--out") o.out = v();
    else if (a === "--exceptions") o.exceptions = v();
    else if (a.startsWith("-")) usage(`unknown option ${a}`);
    else if (o.src) usage(`one source directory, not ${o.src} and ${a}`);
    else o.src = resolve(a);
  }
  if (!o.src) usage();
  if (!(o.timeout > 0)) usage("--timeout must be a positive number of seconds");
  if (!o.register || !o.out || !o.exceptions) usage("--register, --out and --exceptions are given by the script");
  return o;
}

/** The version of the checkout (src/node_version.h), to compare with ours. */
function sourceVersion(src: string): string | undefined {
  try {
    const h = readFileSync(join(src, "src/node_version.h"), "utf8");
    const n = (k: string) => h.match(new RegExp(`#define NODE_${k}_VERSION (\\d+)`))?.[1];
    return `v${n("MAJOR")}.${n("MINOR")}.${n("PATCH")}`;
  } catch {
    return undefined;
  }
}

/** Like test/testpy: the first "// Flags:" line's words. */
function flagsOf(file: string): string[] {
  const m = readFileSync(file, "utf8").match(/\/\/\s+Flags:(.*)/);
  return m ? m[1]!.trim().split(/\s+/).filter(Boolean) : [];
}

/** "name: reason" lines: files expected to fail with ours, and why. */
function exceptions(path: string): Map<string, string> {
  const m = new Map<string, string>();
  if (!existsSync(path)) return m;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const t = line.trim();
    if (!t || t.startsWith("#")) continue;
    const i = t.indexOf(":");
    if (i > 0) m.set(t.slice(0, i).trim(), t.slice(i + 1).trim());
  }
  return m;
}

/**
 * Before anything: under the register hook, require and import of
 * child_process must give aspawn/child_process (by the package's name, from
 * the repository), or "ours" would silently be the baseline again.
 */
function checkRedirect(register: string): void {
  const probe = `
    import esm, { spawn } from "node:child_process";
    import { createRequire } from "node:module";
    const ours = await import("aspawn/child_process");
    const cjs = createRequire(process.cwd() + "/probe.cjs")("child_process");
    const same = [esm.spawn, spawn, cjs.spawn].every((f) => f === ours.spawn);
    console.log(same ? "redirected" : "NOT redirected");`;
  const r = spawnSync(process.execPath, ["--import", register, "--input-type=module", "-e", probe], { encoding: "utf8" });
  if (r.stdout.trim() !== "redirected") {
    process.stderr.write(`node-child-process-tests: under --import ${register}, node:child_process is not aspawn/child_process:\n${r.stdout}${r.stderr}`);
    process.exit(1);
  }
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const dir = join(o.src, "test/parallel");
  if (!existsSync(join(o.src, "test/common/index.js")) || !existsSync(dir)) {
    usage(`${o.src} is not a checkout of Node's sources (no test/common/index.js, test/parallel)`);
  }
  const files = readdirSync(dir).filter((f) => /^test-child-process-.*\.m?js$/.test(f) && o.filter.test(f)).sort();
  if (!files.length) usage(`no test/parallel/test-child-process-*.js in ${o.src} matches`);
  const theirs = sourceVersion(o.src);
  const note = theirs === process.version ? "" : ` (tests of ${theirs ?? "an unknown version"}: not the same version, a baseline failure may be the mismatch)`;
  console.log(`Node ${process.version}${note}; ${files.length} files, ${o.sides.join(" + ")}, ${o.jobs} at a time, ${o.timeout} s timeout`);

  if (o.sides.includes("ours")) checkRedirect(o.register);
  const expected = exceptions(o.exceptions);
  const tmp = join(o.out, "tmp"), logs = join(o.out, "logs");
  rmSync(o.out, { recursive: true, force: true });
  for (const s of o.sides) mkdirSync(join(logs, s), { recursive: true });
  mkdirSync(tmp, { recursive: true });

  let finished = 0;
  const total = files.length * o.sides.length;
  // Thread ids in use: each run in flight has its own test/common tmpdir.
  const free = Array.from({ length: o.jobs }, (_, i) => i);

  function runOne(file: string, side: Side): Promise<Run> {
    const id = free.shift()!;
    const args = [...flagsOf(join(dir, file)), ...(side === "ours" ? ["--import", o.register] : []), join(dir, file)];
    const env = { ...process.env, TEST_THREAD_ID: String(id), TEST_PARALLEL: "1", NODE_TEST_DIR: tmp };
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: o.src, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const out: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => out.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {}
    }, o.timeout * 1000);
    return new Promise((done) => {
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        free.push(id);
        // A test's own children may outlive it: end its process group.
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {}
        const text = Buffer.concat(out).toString();
        const log = join(logs, side, `${file}.log`);
        writeFileSync(log, `$ node ${args.join(" ")}\n${text}\n[exit ${code} signal ${signal}${timedOut ? " timeout" : ""}]\n`);
        const outcome: Outcome = timedOut ? "timeout" : code !== 0 ? "fail" : /^1\.\.0 # Skipped/m.test(text) ? "skip" : "pass";
        const at = finished < total ? `${++finished}/${total}` : "again";
        process.stderr.write(`[${at}] ${file} ${side}: ${outcome}\n`);
        done({ outcome, ms: Math.round(performance.now() - started), code, signal, log });
      });
    });
  }

  async function pool<T>(tasks: (() => Promise<T>)[], jobs: number): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < tasks.length) await tasks[next++]!();
    };
    await Promise.all(Array.from({ length: jobs }, worker));
  }

  const rows = new Map<string, Row>(files.map((f) => [f, { file: f, expected: expected.get(f.replace(/\.m?js$/, "")) }]));
  const ok = (r?: Run) => r?.outcome === "pass" || r?.outcome === "skip";
  const differ = (r: Row) => o.sides.length === 2 && ok(r.baseline) !== ok(r.ours);
  return (async () => {
    const tasks = files.flatMap((f) => o.sides.map((s) => async () => void (rows.get(f)![s] = await runOne(f, s))));
    await pool(tasks, o.jobs);
    if (o.retry) {
      for (const r of [...rows.values()].filter(differ)) {
        const first = `${r.baseline!.outcome}/${r.ours!.outcome}`;
        for (const s of o.sides) r[s] = await runOne(r.file, s);
        if (!differ(r)) r.flaky = `first run ${first}`;
      }
    }
    report([...rows.values()], o.sides, o.out);
  })();
}

function report(rows: Row[], sides: Side[], out: string): void {
  const cell = (r?: Run) => (r ? `${r.outcome} ${(r.ms / 1000).toFixed(1)}s` : "-");
  const w = Math.max(...rows.map((r) => r.file.length));
  console.log(`\n${"file".padEnd(w)}  ${sides.map((s) => s.padEnd(13)).join("  ")}  note`);
  const ok = (r?: Run) => r?.outcome === "pass" || r?.outcome === "skip";
  for (const r of rows) {
    const notes = [r.flaky && `flaky (${r.flaky})`, r.expected && !ok(r.ours) && `expected: ${r.expected}`].filter(Boolean);
    console.log(`${r.file.padEnd(w)}  ${sides.map((s) => cell(r[s]).padEnd(13)).join("  ")}  ${notes.join("; ")}`);
  }
  const count = (f: (r: Row) => boolean) => rows.filter(f).length;
  writeFileSync(join(out, "results.json"), JSON.stringify(rows, null, 1));
  if (sides.length === 1) {
    const s = sides[0]!;
    console.log(`\n${s}: ${count((r) => ok(r[s]))} passed, ${count((r) => !ok(r[s]))} failed (of ${rows.length}; ${count((r) => r[s]?.outcome === "skip")} of the passes skipped)`);
    return;
  }
  const onlyBaseline = rows.filter((r) => ok(r.baseline) && !ok(r.ours));
  const unexplained = onlyBaseline.filter((r) => !r.expected);
  console.log(`\nsummary (${rows.length} files; skips count as passes):`);
  console.log(`  pass in both:        ${count((r) => ok(r.baseline) && ok(r.ours))}`);
  console.log(`  pass only baseline:  ${onlyBaseline.length}${onlyBaseline.length ? ` (${onlyBaseline.length - unexplained.length} listed in exceptions.txt)` : ""}`);
  console.log(`  pass only ours:      ${count((r) => !ok(r.baseline) && ok(r.ours))}`);
  console.log(`  fail in both:        ${count((r) => !ok(r.baseline) && !ok(r.ours))}`);
  console.log(`  flaky (retried):     ${count((r) => !!r.flaky)}`);
  for (const r of unexplained) console.log(`  only baseline: ${r.file} (log: ${r.ours!.log})`);
  console.log(`results: ${join(out, "results.json")}; logs: ${join(out, "logs")}/`);
  process.exitCode = unexplained.length ? 1 : 0;
}

void main();
