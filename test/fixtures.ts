/**
 * Runs a script of test/fixtures in a fresh process of the current runtime:
 * what must not share the test runner's process (limits, closed stdio, a
 * process that is to die, memory measured from a clean start). Node 20
 * cannot run TypeScript: it runs an esbuild bundle (test/bundle.ts).
 * Imports no test runner, so scripts/soak.ts can use it.
 */
import { spawn as spawnNode } from "node:child_process";
import { env, runtime } from "../src/ffi/runtime.ts";
import { bundleFixture } from "./bundle.ts";
import { V8_FLAGS } from "./gc.ts";
import { repoRoot } from "./repo-root.ts";

export interface FixtureOptions {
  env?: Record<string, string>;
  /** killed with SIGKILL after this long (default: never) */
  timeoutMs?: number;
  /**
   * Deno: --allow-all. Without it a fixture has only the permissions the
   * README tells users to give (--allow-ffi --allow-env --allow-read), so
   * that it shows what they will see.
   */
  allowAll?: boolean;
  /** Deno: exactly these permission flags (e.g. only what the README asks for) */
  denoAllow?: string[];
  /** V8_FLAGS (the GC exposed, the young generation pinned): for fixtures that measure memory */
  exposeGc?: boolean;
  /** other fixtures the fixture starts as Workers (Node runs them as bundles too) */
  bundles?: string[];
  /** `ulimit` settings for the fixture, e.g. "-n 20000" */
  ulimit?: string;
  /** shell redirections applied to the fixture's exec, e.g. "0<&- 1>&- 2>&-" */
  redirect?: string;
  /** a launcher the command is appended to (it execs it) */
  launcher?: string[];
}

export interface FixtureResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** ms from start to exit */
  ms: number;
  /** ms from start to the last stdout chunk (so ms - lastOutputMs is how long it lingered) */
  lastOutputMs: number;
  /** the last line of stdout as JSON, if it is */
  json?: any;
}

const portable = env("ASPAWN_BACKEND") === "portable";

/** The command that runs test/fixtures/NAME.ts on this runtime. */
export async function fixtureCommand(name: string, opts: FixtureOptions = {}): Promise<string[]> {
  const src = `${repoRoot}test/fixtures/${name}.ts`;
  const v8Flags = opts.exposeGc ? V8_FLAGS : [];
  if (runtime === "bun") return [process.execPath, src];
  if (runtime === "deno") {
    // The portable backend starts children with Deno.Command: --allow-run.
    const allow = opts.denoAllow ?? (opts.allowAll ? ["--allow-all"] : ["--allow-ffi", "--allow-env", "--allow-read", ...(portable ? ["--allow-run"] : [])]);
    return [process.execPath, "run", "--no-check", ...allow, ...(v8Flags.length ? [`--v8-flags=${v8Flags.join(",")}`] : []), src];
  }
  for (const b of opts.bundles ?? []) await bundleFixture(b);
  return [process.execPath, ...v8Flags, await bundleFixture(name)];
}

export async function runFixture(name: string, args: string[] = [], opts: FixtureOptions = {}): Promise<FixtureResult> {
  let cmd = await fixtureCommand(name, opts);
  if (opts.launcher) cmd = [...opts.launcher, ...cmd];
  if (opts.ulimit || opts.redirect) {
    const limit = opts.ulimit ? `ulimit ${opts.ulimit} && ` : "";
    cmd = ["/bin/sh", "-c", `${limit}exec "$@" ${opts.redirect ?? ""}`, "sh", ...cmd];
  }
  const t0 = performance.now();
  const r = await new Promise<FixtureResult>((resolve, reject) => {
    const child = spawnNode(cmd[0]!, [...cmd.slice(1), ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "", stderr = "", lastOutputMs = 0;
    child.stdout!.on("data", (d) => {
      stdout += d;
      lastOutputMs = performance.now() - t0;
    });
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("error", reject);
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0, lastOutputMs });
    });
  });
  const last = r.stdout.trim().split("\n").pop() ?? "";
  try {
    r.json = JSON.parse(last);
  } catch {
    // not JSON: the caller shows stdout and stderr
  }
  return r;
}

/** A fixture's outcome for an assertion message: the exit and the ends of its output. */
export const showFixture = (r: FixtureResult) =>
  `exit ${r.code} ${r.signal ?? ""}\nstdout: ${r.stdout.slice(-3000)}\nstderr: ${r.stderr.slice(-2000)}`;

/** This runtime running inline code: [file, args before the code's own args]. */
export function evalCommand(code: string): [string, string[]] {
  if (runtime === "deno") return [process.execPath, ["eval", code]];
  return [process.execPath, ["-e", code]];
}
