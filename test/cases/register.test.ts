// aspawn/register: programs started with it (node --import, bun --preload,
// deno run --preload) get aspawn/child_process wherever they reach for
// node:child_process, and their children really run through aspawn
// (ASPAWN_TRACE=1 shows the native spawns on stderr).
import { spawn } from "node:child_process";
import { assert, runtimeName, test } from "../adapter.ts";
import { buildDist } from "../dist-build.ts";
import { repoRoot } from "../repo-root.ts";

interface Ran { code: number | null; signal: string | null; stdout: string; stderr: string; json?: any }

/** This runtime running `file` with aspawn/register loaded first (Node: the build; Bun and Deno: the sources). */
async function registered(file: string, opts: { env?: Record<string, string>; preload?: string[] } = {}): Promise<Ran> {
  let pre: string[];
  if (runtimeName === "node") {
    await buildDist("child_process.js");
    pre = ["--import", await buildDist("register.js")];
  } else {
    pre = ["--preload", `${repoRoot}src/register/index.ts`];
  }
  pre = [...(opts.preload ?? []), ...pre];
  const args = runtimeName === "deno" ? ["run", "--allow-all", "--no-check", ...pre, file] : [...pre, file];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: repoRoot,
      env: { ...process.env, ASPAWN_TRACE: "1", ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "", stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const r: Ran = { code, signal, stdout, stderr };
      try {
        r.json = JSON.parse(stdout.trim().split("\n").pop() ?? "");
      } catch {
        // not JSON: the assertion shows the output
      }
      resolve(r);
    });
  });
}

const show = (r: Ran) => `exit ${r.code} ${r.signal ?? ""}\nstdout: ${r.stdout.slice(-2000)}\nstderr: ${r.stderr.slice(-3000)}`;
/** The native spawns of a traced run (spawnSync runs through asp_run_sync). */
const spawns = (r: Ran) => r.stderr.split("\n").filter((l) => /^aspawn: asp_(spawn_watch|spawn|run_sync)\(/.test(l)).length;
const fixture = (name: string) => `${repoRoot}test/fixtures/${name}`;
const everyWay = {
  namedImport: true, defaultImport: true, bareNamespace: true, dynamicImport: true, require: true, requireNode: true,
  getBuiltinModule: true,
};

test("register: import (named, default, bare, dynamic), require and getBuiltinModule of child_process all give aspawn/child_process", async () => {
  const r = await registered(fixture("register/probe.mjs"));
  assert.equal(r.code, 0, show(r));
  assert.deepEqual(r.json, { seen: everyWay, out: "child ran\n" }, show(r));
  assert.equal(spawns(r), 1, show(r));
});

test("register: CommonJS programs too, and every require gets the one writable object, as Node's", async () => {
  const r = await registered(fixture("register/probe.cjs"));
  assert.equal(r.code, 0, show(r));
  assert.deepEqual(r.json, { same: true, patched: "patched", out: "cjs\n", sync: "sync\n" }, show(r));
  assert.equal(spawns(r), 2, show(r));
});

test("register: loaded twice, it redirects once and children still run", async () => {
  const twice = runtimeName === "node"
    ? ["--import", await buildDist("register.js")]
    : ["--preload", `${repoRoot}src/register/index.ts`];
  const r = await registered(fixture("register/probe.mjs"), { preload: twice });
  assert.equal(r.code, 0, show(r));
  assert.deepEqual(r.json, { seen: everyWay, out: "child ran\n" }, show(r));
});

// Node: the redirect leaves this package's own files alone. The portable
// backend (src/portable/node.ts) is the one that spawns with
// node:child_process; given aspawn's, it would call itself. (Bun's and
// Deno's portable backends use Bun.spawn and Deno.Command.)
if (runtimeName === "node") {
  test("register: the package's own use of node:child_process keeps the real one (the portable backend would recurse)", async () => {
    const r = await registered(fixture("register/probe.mjs"), { env: { ASPAWN_BACKEND: "portable" } });
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(r.json, { seen: everyWay, out: "child ran\n" }, show(r));
    assert.equal(spawns(r), 0, "the portable backend spawns without the native library\n" + show(r));
  });

  test("register: a worker thread started from a file is redirected too", async () => {
    const r = await registered(fixture("register/worker-parent.mjs"));
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(r.json, { worker: { redirected: true, out: "from worker\n" } }, show(r));
  });
}

// Real consumers, installed as devDependencies: their own code, unmodified,
// reaches node:child_process and gets aspawn's.
test("register: execa's basic usage runs through aspawn", async () => {
  const r = await registered(fixture("consumers/execa.mjs"));
  assert.equal(r.code, 0, show(r));
  assert.deepEqual(r.json, {
    stdout: "hello", exitCode: 3, stderr: "oops", piped: "a\nb", input: "from stdin", sync: "sync", missing: "ENOENT",
  }, show(r));
  assert.ok(spawns(r) >= 5, `echo, sh, printf, sort and cat went through asp_spawn\n${show(r)}`);
}, 30000);

test("register: zx's basic usage runs through aspawn", async () => {
  const r = await registered(fixture("consumers/zx.mjs"));
  assert.equal(r.code, 0, show(r));
  assert.deepEqual(r.json, { hello: "hello", quoted: "two words", exitCode: 2, piped: "a\nb\n", thrown: 5 }, show(r));
  assert.ok(spawns(r) >= 6, `each of the six commands went through asp_spawn\n${show(r)}`);
}, 30000);
