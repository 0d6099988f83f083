/**
 * Runs a script of test/fixtures in a fresh process of the current runtime
 * (node runs an esbuild bundle of it: Node 20 cannot run TypeScript).
 */
import { spawn } from "node:child_process";
import { runtimeName } from "./adapter.ts";
import { bundleFixture } from "./bundle.ts";

const root = decodeURIComponent(new URL("..", import.meta.url).pathname);

export interface FixtureResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** ms from start to exit */
  ms: number;
  /** ms from start to the last stdout chunk (so ms - lastOutputMs is how long it lingered) */
  lastOutputMs: number;
}

/** The command that runs test/fixtures/NAME.ts on this runtime. */
export async function fixtureCommand(name: string): Promise<string[]> {
  const src = `${root}test/fixtures/${name}.ts`;
  if (runtimeName === "bun") return [process.execPath, src];
  if (runtimeName === "deno") return [process.execPath, "run", "--no-check", "--allow-ffi", "--allow-env", "--allow-read", src];
  return [process.execPath, await bundleFixture(name)];
}

export async function runFixture(name: string, env: Record<string, string> = {}, args: string[] = []): Promise<FixtureResult> {
  const [cmd, ...rest] = await fixtureCommand(name);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, [...rest, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "", stderr = "", lastOutputMs = 0;
    child.stdout!.on("data", (d) => {
      stdout += d;
      lastOutputMs = performance.now() - t0;
    });
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr, ms: performance.now() - t0, lastOutputMs }));
  });
}
