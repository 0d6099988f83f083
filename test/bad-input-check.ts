/**
 * Judging the bad-input table (test/bad-input.ts): the context its calls
 * may use, whether one call came out as documented, and the whole table in
 * one go. Imports no test runner, so scripts/soak.ts can use it.
 */
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { run, runSync, spawn, SpawnError, type Subprocess } from "../src/index.ts";
import { type BadInput, badInputs } from "./bad-input.ts";
import { within } from "./wait.ts";

/** What the table's calls may use: files, fds and children made for them. */
export interface BadContext {
  dir: string;
  /** a 0644 file */
  plain: string;
  /** a 0755 file with no #! and no ELF header */
  junk: string;
  /** a 0755 script whose interpreter does not exist */
  badShebang: string;
  /** a running child to call kill() on */
  sleeper: Subprocess;
  /** children made by the calls, killed at the end */
  extra: Subprocess[];
  cleanup(): Promise<void>;
}

export async function badContext(): Promise<BadContext> {
  const dir = mkdtempSync(`${tmpdir()}/aspawn-bad-`);
  const plain = `${dir}/plain`, junk = `${dir}/junk`, badShebang = `${dir}/bad-shebang`;
  writeFileSync(plain, "echo hi\n");
  chmodSync(plain, 0o644);
  writeFileSync(junk, new Uint8Array([0x00, 0x01, 0x02, 0xfe, 0xff, 0x10, 0x20, 0x30]));
  chmodSync(junk, 0o755);
  writeFileSync(badShebang, "#!/nonexistent/interpreter\n");
  chmodSync(badShebang, 0o755);
  symlinkSync(`${dir}/loop`, `${dir}/loop`);
  await run("mkfifo", [`${dir}/fifo`]);
  const sleeper = spawn("sleep", ["100"], { stdout: "ignore" });
  const extra: Subprocess[] = [];
  return {
    dir, plain, junk, badShebang, sleeper, extra,
    async cleanup() {
      for (const p of [sleeper, ...extra]) p.kill("SIGKILL");
      await Promise.allSettled([sleeper, ...extra].map((p) => p.exited));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** How a malformed call came out: null when as documented, else what happened. */
export async function checkBad(c: BadInput, ctx?: BadContext, timeoutMs = 5000): Promise<string | null> {
  if ("options" in c) {
    const { options, ...expected } = c;
    const thrown = await checkBad({ ...expected, call: () => spawn("true", [], options) }, ctx, timeoutMs);
    if (thrown) return thrown;
    let rejection: Promise<unknown>;
    try {
      rejection = run("true", [], options);
    } catch (e) {
      return `run() threw instead of rejecting: ${String(e)}`;
    }
    const rejected = await checkBad({ ...expected, call: () => rejection }, ctx, timeoutMs);
    if (rejected) return `run(): ${rejected}`;
    // runSync() throws what run() rejects with, SpawnErrors included.
    let sync: unknown;
    try {
      runSync("true", [], options);
    } catch (e) {
      sync = e;
    }
    const thrownSync = await checkBad({ ...expected, sync: true, call: () => { if (sync) throw sync; return "a result"; } }, ctx, timeoutMs);
    return thrownSync && `runSync(): ${thrownSync}`;
  }
  if ("withContext" in c && !ctx) throw new Error(`${c.name}: needs a context (badContext())`);
  const expectSync = c.error === "TypeError" || c.sync === true;
  const judge = (e: unknown, how: string): string | null => {
    const cls = c.error === "TypeError" ? TypeError : SpawnError;
    if (!(e instanceof cls) || (c.error === "TypeError" && e instanceof SpawnError)) {
      return `${how}: expected ${c.error}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
    }
    if (c.message && !c.message.test((e as Error).message)) return `${how}: message ${JSON.stringify((e as Error).message)}`;
    if (e instanceof SpawnError) {
      if (c.code && e.code !== c.code) return `${how}: code ${e.code} (step ${e.step}), expected ${c.code}`;
      if (c.step && e.step !== c.step) return `${how}: step ${e.step}, expected ${c.step}`;
    }
    return null;
  };
  let value: unknown;
  try {
    value = "call" in c ? c.call() : c.withContext(ctx!);
  } catch (e) {
    return expectSync ? judge(e, "thrown") : `thrown synchronously: ${judge(e, "thrown") ?? (e as Error).message}`;
  }
  const deadline = performance.now() + timeoutMs;
  const left = () => Math.max(0, deadline - performance.now());
  if (value instanceof Promise) {
    // run() and async calls: the error arrives as a rejection.
    const r = await within(value.then((v) => ({ v }), (e) => ({ e })), left());
    if (r === "timeout") return "hang";
    if ("e" in r) {
      if (c.sync && c.error !== "TypeError") return `rejected instead of thrown: ${(r.e as Error).message}`;
      return judge(r.e, "rejected");
    }
    value = r.v;
    if (!(value && typeof value === "object" && "exited" in value)) return `resolved with ${String(value)}`;
  }
  if (value && typeof value === "object" && "exited" in value) {
    const p = value as Subprocess;
    if ("pid" in p) ctx?.extra.push(p);
    if (expectSync) {
      if (!ctx) p.kill("SIGKILL");
      return `no error thrown: a child started (${p.pid})`;
    }
    const ab = await within(Promise.all([p.spawned.then(() => null, (e) => e), p.exited.then(() => null, (e) => e)]), left());
    if (ab === "timeout") return "hang";
    const [a, b] = ab;
    if (a === null) return "spawned resolved: the program ran";
    return judge(a, "spawned") ?? (b === a ? null : `exited rejected differently: ${String(b)}`);
  }
  return `no error: returned ${String(value)}`;
}

/** Every malformed call, in a fresh context; the problems found (empty: all as documented). */
export async function runBadInputs(): Promise<string[]> {
  const ctx = await badContext();
  const failures: string[] = [];
  for (const c of badInputs) {
    const problem = await checkBad(c, ctx);
    if (problem) failures.push(`${c.name}: ${problem}`);
  }
  await ctx.cleanup();
  return failures;
}
