// The backend choice and the portable backend's refusals, from fresh
// processes (so they run whichever backend the suite itself uses).
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { assert, runtimeName, test } from "../adapter.ts";
import { fixtureCommand, runFixture } from "../fixtures.ts";
import { nativeOnly, nativeOnlyOptions } from "../native-only.ts";
import { repoRoot } from "../repo-root.ts";
import { BIN, fixtureFor, kinds } from "../worker-kinds.ts";
import { text } from "../bytes.ts";
import type { SyncRequest } from "../../src/api/child.ts";
import { libcMismatch, libcOf } from "../../src/ffi/libc.ts";
import { denoWithoutFdSockets } from "../../src/ffi/runtime.ts";
import { portableBackend } from "../../src/portable/index.ts";
import { run, SpawnError } from "../../src/index.ts";

const portableEnv = { ASPAWN_BACKEND: "portable" };
/** The suite may itself run with ASPAWN_BACKEND=portable: "" is unset. */
const defaultEnv = { ASPAWN_BACKEND: "" };

test("portable: ASPAWN_BACKEND=portable runs the portable backend, and says so", async () => {
  const r = await runFixture("backend-choice", [], { env: portableEnv, allowAll: true });
  assert.deepEqual(r.json, {
    capabilities: { mechanism: "portable", pidfd: false, cloneIntoCgroup: false, reason: "ASPAWN_BACKEND=portable" },
    stdout: "ran\n",
  }, r.stderr);
  const n = await runFixture("backend-choice", [], { env: defaultEnv, allowAll: true });
  assert.notEqual(n.json.capabilities.mechanism, "portable", n.stdout + n.stderr);
  assert.equal(n.json.capabilities.reason, null);
  const bad = await runFixture("backend-choice", [], { env: { ASPAWN_BACKEND: "fast" }, allowAll: true });
  assert.equal(bad.json.capabilitiesError.name, "TypeError");
  assert.match(bad.json.capabilitiesError.message, /^ASPAWN_BACKEND must be "native" or "portable", got "fast"/);
});

test("portable: every native-only option is a TypeError naming it and the backend; the runtime's own are honoured", async () => {
  const r = await runFixture("portable-options", [], { env: portableEnv, allowAll: true });
  assert.equal(r.code, 0, r.stderr);
  const runtime = { node: "Node", bun: "Bun", deno: "Deno" }[runtimeName];
  for (const [reason, use] of Object.entries(nativeOnlyOptions)) {
    const here = (nativeOnly[reason as keyof typeof nativeOnly] as readonly string[]).includes(runtimeName);
    if (!here) {
      assert.equal(r.json[`${reason} (honoured here)`], "ran", reason);
      continue;
    }
    const message = r.json[reason] as string;
    assert.ok(message.startsWith(`TypeError: ${use!.named}`), `${reason}: ${message}`);
    assert.ok(message.includes(`the portable backend (${runtime}; `), message);
    assert.ok(message.includes("ASPAWN_BACKEND=portable"), message);
  }
});

test("portable: ASPAWN_LIBRARY that fails to load is the error, named, on either backend choice", async () => {
  for (const env of [{ ...defaultEnv }, { ASPAWN_BACKEND: "native" }]) {
    const r = await runFixture("backend-choice", [], { env: { ...env, ASPAWN_LIBRARY: "/nonexistent/libaspawn.so" }, allowAll: true });
    for (const e of [r.json.capabilitiesError, r.json.runError]) {
      assert.equal(e?.name, "LibraryLoadError", r.stdout + r.stderr);
      assert.match(e.message, /ASPAWN_LIBRARY=\/nonexistent\/libaspawn.so could not be loaded/);
    }
  }
});

/** test/fixtures/NAME.ts (backend-choice) bundled (koffi left out) alone in a new directory, as `file` in it: [the directory, the bundle]. */
async function bundledAlone(prefix: string, name = "backend-choice", file = "app.mjs"): Promise<[dir: string, bundle: string]> {
  const dir = mkdtempSync(`${tmpdir()}/${prefix}`);
  const out = `${dir}/${file}`;
  const esbuild = await import("esbuild" as string);
  await esbuild.build({
    entryPoints: [`${repoRoot}test/fixtures/${name}.ts`], outfile: out, bundle: true, platform: "node",
    format: "esm", external: ["koffi"], logLevel: "warning",
  });
  return [dir, out];
}

test("portable: a bundle without the library falls back to the portable backend, saying why; native is then an error", async () => {
  const [dir, out] = await bundledAlone("aspawn-nolib-");
  try {
    const cmd = runtimeName === "deno" ? ["run", "--allow-all", out] : [out];
    const go = (env: Record<string, string>) =>
      run(process.execPath, cmd, { cwd: dir, env: { ...env, NODE_PATH: `${repoRoot}node_modules` }, reject: false });
    const r = await go(defaultEnv);
    const got = JSON.parse(r.stdout);
    assert.equal(got.capabilities?.mechanism, "portable", r.stdout + r.stderr);
    assert.match(got.capabilities.reason, /^libaspawn\.so could not be loaded \(.*prebuilds\/linux-\w+\/libaspawn\.so: /);
    assert.equal(got.stdout, "ran\n");
    const n = JSON.parse((await go({ ASPAWN_BACKEND: "native" })).stdout);
    assert.equal(n.capabilitiesError?.name, "LibraryLoadError");
    assert.equal(n.runError?.name, "LibraryLoadError");
  } finally {
    rmSync(dir, { recursive: true });
  }
}, 60000);

test("portable: a bundle loads no prebuilds/ from above its own directory (a parent such as /tmp is anyone's)", async () => {
  const [dir, out] = await bundledAlone("aspawn-above-", "backend-choice", "a/b/app.mjs");
  try {
    // Not libraries: a planted one runs its code as it loads, before any check.
    for (const up of ["", "a/"]) {
      mkdirSync(`${dir}/${up}prebuilds/linux-${process.arch}`, { recursive: true });
      writeFileSync(`${dir}/${up}prebuilds/linux-${process.arch}/libaspawn.so`, "planted\n");
    }
    const cmd = runtimeName === "deno" ? ["run", "--allow-all", out] : [out];
    const r = await run(process.execPath, cmd, { cwd: `${dir}/a/b`, env: { ASPAWN_BACKEND: "native", NODE_PATH: `${repoRoot}node_modules` }, reject: false });
    const n = JSON.parse(r.stdout);
    assert.equal(n.capabilitiesError?.name, "LibraryLoadError", r.stdout + r.stderr);
    assert.match(n.capabilitiesError.message, /a\/b\/prebuilds\/linux-\w+\/libaspawn\.so: /);
    assert.doesNotMatch(n.capabilitiesError.message, new RegExp(`${dir}/(a/)?prebuilds/`));
  } finally {
    rmSync(dir, { recursive: true });
  }
}, 60000);

test("portable: a bundle beside a pnpm-style node_modules finds the package, and on Node the koffi beside it", async () => {
  const [dir, out] = await bundledAlone("aspawn-pnpm-", "backend-choice", "out/app.mjs");
  try {
    // node_modules/aspawn links into .pnpm/, where its dependencies are its siblings, out of the bundle's reach.
    const store = `${dir}/node_modules/.pnpm/aspawn@0.0.0/node_modules`;
    mkdirSync(`${store}/aspawn`, { recursive: true });
    cpSync(`${repoRoot}package.json`, `${store}/aspawn/package.json`);
    cpSync(`${repoRoot}prebuilds`, `${store}/aspawn/prebuilds`, { recursive: true });
    symlinkSync(`${repoRoot}node_modules/koffi`, `${store}/koffi`);
    symlinkSync(`${store}/aspawn`, `${dir}/node_modules/aspawn`);
    const cmd = runtimeName === "deno" ? ["run", "--allow-all", out] : [out];
    const r = await run(process.execPath, cmd, { cwd: dir, env: { ASPAWN_BACKEND: "", ASPAWN_LIBRARY: "", NODE_PATH: "" }, reject: false });
    const n = JSON.parse(r.stdout);
    assert.notEqual(n.capabilities?.mechanism, "portable", r.stdout + r.stderr);
    assert.equal(n.stdout, "ran\n");
  } finally {
    rmSync(dir, { recursive: true });
  }
}, 60000);

test("portable: Deno finds a bundle's installed package with read access to the bundle's directory only, and says so without it", async () => {
  if (runtimeName !== "deno") return; // the others read files without asking
  const [dir, out] = await bundledAlone("aspawn-denoread-", "backend-choice", "out/app.mjs");
  try {
    mkdirSync(`${dir}/node_modules/aspawn`, { recursive: true });
    cpSync(`${repoRoot}package.json`, `${dir}/node_modules/aspawn/package.json`);
    cpSync(`${repoRoot}prebuilds`, `${dir}/node_modules/aspawn/prebuilds`, { recursive: true });
    const go = async (flags: string[]) => {
      const r = await run(process.execPath, ["run", "--no-prompt", "--allow-ffi", "--allow-run", ...flags, out], { cwd: dir, env: { ASPAWN_BACKEND: "" }, reject: false });
      return JSON.parse(r.stdout);
    };
    const scoped = await go([`--allow-read=${dir}`]);
    assert.notEqual(scoped.capabilities?.mechanism, "portable", JSON.stringify(scoped));
    const none = await go([]);
    assert.equal(none.capabilities?.mechanism, "portable");
    const unread = (d: string) => new RegExp(`node_modules/aspawn in ${d} and above: not looked for, Deno may not read ${d} \\(--allow-read=${d}\\)`);
    assert.match(none.capabilities.reason, unread(`${dir}/out`));
    // Read access to the bundle's directory alone: the walk up stops at its parent, and says so (it said nothing).
    const bundleOnly = await go([`--allow-read=${dir}/out`]);
    assert.equal(bundleOnly.capabilities?.mechanism, "portable");
    assert.match(bundleOnly.capabilities.reason, unread(dir));
  } finally {
    rmSync(dir, { recursive: true });
  }
}, 60000);

test("portable: a bundle in a directory others may write into (/tmp) loads no prebuilds/ or node_modules/ there", async () => {
  // A sticky, world-writable directory of our own stands for /tmp.
  const [dir, out] = await bundledAlone("aspawn-shared-", "backend-choice", "app.mjs");
  try {
    chmodSync(dir, 0o1777);
    for (const at of ["prebuilds", "node_modules/aspawn/prebuilds"]) {
      mkdirSync(`${dir}/${at}/linux-${process.arch}`, { recursive: true });
      writeFileSync(`${dir}/${at}/linux-${process.arch}/libaspawn.so`, "planted\n");
    }
    const cmd = runtimeName === "deno" ? ["run", "--allow-all", out] : [out];
    const r = await run(process.execPath, cmd, { cwd: "/", env: { ASPAWN_BACKEND: "native", NODE_PATH: `${repoRoot}node_modules` }, reject: false });
    const n = JSON.parse(r.stdout);
    assert.equal(n.capabilitiesError?.name, "LibraryLoadError", r.stdout + r.stderr);
    // Nothing planted was loaded, and the message says why it was passed over (it listed nothing and advised copying prebuilds/ there).
    const m: string = n.capabilitiesError.message;
    assert.doesNotMatch(m, /ELF|too short|planted/, m);
    assert.match(m, new RegExp(`${dir}/prebuilds/linux-[a-z0-9]+/libaspawn\\.so: not tried, ${dir} is writable by others`), m);
    assert.match(m, new RegExp(`node_modules/aspawn in ${dir} and above: not looked for, ${dir} is writable by others`), m);
    assert.match(m, /from a directory only you may write into/, m);
  } finally {
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true });
  }
}, 60000);

test("portable: a Node bundle shipped with prebuilds/ but without koffi says koffi is what is missing", async () => {
  if (runtimeName !== "node") return; // koffi is Node's binding only
  const [dir, out] = await bundledAlone("aspawn-nokoffi-");
  try {
    cpSync(`${repoRoot}prebuilds`, `${dir}/prebuilds`, { recursive: true });
    const r = await run(process.execPath, [out], { cwd: dir, env: { ASPAWN_BACKEND: "native", NODE_PATH: "" }, reject: false });
    const n = JSON.parse(r.stdout);
    assert.equal(n.capabilitiesError?.name, "LibraryLoadError", r.stdout + r.stderr);
    assert.match(n.capabilitiesError.message, /through the koffi package, which cannot be found from here/);
    assert.doesNotMatch(n.capabilitiesError.message, /Copy the package's prebuilds/);
    // Without ASPAWN_BACKEND: the portable backend, and the reason says the same.
    const p = JSON.parse((await run(process.execPath, [out], { cwd: dir, env: { ASPAWN_BACKEND: "", NODE_PATH: "" }, reject: false })).stdout);
    assert.equal(p.capabilities?.mechanism, "portable");
    assert.match(p.capabilities.reason, /^libaspawn\.so could not be loaded \(Node loads it through the koffi package/);
  } finally {
    rmSync(dir, { recursive: true });
  }
}, 60000);

test("portable: a Node bundle shipped with koffi but not its binary (@koromix) says that is what is missing", async () => {
  if (runtimeName !== "node") return; // koffi is Node's binding only
  const [dir, out] = await bundledAlone("aspawn-nokoromix-");
  try {
    cpSync(`${repoRoot}prebuilds`, `${dir}/prebuilds`, { recursive: true });
    cpSync(`${repoRoot}node_modules/koffi`, `${dir}/node_modules/koffi`, { recursive: true });
    const p = JSON.parse((await run(process.execPath, [out], { cwd: dir, env: { ASPAWN_BACKEND: "", NODE_PATH: "" }, reject: false })).stdout);
    assert.equal(p.capabilities?.mechanism, "portable");
    // It used to repeat koffi's "Cannot find the native Koffi module" once per path tried.
    assert.match(p.capabilities.reason, /^libaspawn\.so could not be loaded \(Node loads it through koffi, whose native module is missing: .*node_modules\/@koromix/);
  } finally {
    rmSync(dir, { recursive: true });
  }
}, 60000);

test("portable: without the library, workers and pools run on Node's and Bun's own channel, which passes no fds; Deno's say they need the native backend", async () => {
  const jobs = await fixtureFor("node"); // worker-jobs bundled, and dist/worker-host.js built
  const [dir, out] = await bundledAlone("aspawn-nolib-worker-", "worker-no-library");
  try {
    // The installed package the bundle's workers run the host of, without
    // its prebuilds: neither end can load the library (nor Node find koffi).
    mkdirSync(`${dir}/node_modules/aspawn`, { recursive: true });
    cpSync(`${repoRoot}package.json`, `${dir}/node_modules/aspawn/package.json`);
    cpSync(`${repoRoot}dist`, `${dir}/node_modules/aspawn/dist`, { recursive: true }); // worker-host.js and its chunks
    const go = async (workerRuntime: string): Promise<any> => {
      const cmd = runtimeName === "deno" ? ["run", "--allow-all", out] : [out];
      const r = await run(process.execPath, [...cmd, jobs, workerRuntime], {
        cwd: dir, env: { ASPAWN_BACKEND: "", ASPAWN_LIBRARY: "", NODE_PATH: "" }, reject: false, timeout: 60000,
      });
      const got = JSON.parse(r.stdout.trim().split("\n").pop() ?? "null");
      assert.match(got?.reason ?? "", /^libaspawn\.so could not be loaded/, r.stdout + r.stderr);
      return got;
    };
    if (runtimeName === "deno") {
      const got = await go(BIN.deno);
      assert.match(got.worker, /^TypeError: worker\(\): workers need the native backend on deno: their channel is an extra fd \(fd 3\)/);
      assert.equal(got.pool, got.worker);
      return;
    }
    const here = { node: "Node", bun: "Bun" }[runtimeName];
    for (const kind of kinds) {
      const got = await go(BIN[kind]);
      const on: string = `${runtimeName} → ${kind}: ${JSON.stringify(got)}`;
      assert.equal(got.worker, undefined, on);
      assert.deepEqual(got.echo, { n: "2n", list: [1, "a"], bytes: [7, 8] }, on);
      assert.equal(got.big, 8 << 20, on);
      assert.deepEqual(got.echoed, [1, { got: "a", twice: ["a", "a"] }], on);
      assert.deepEqual(got.selfExit, ["m", 0], on);
      for (const r of got.sendsAtClose) assert.match(r, /^WorkerError: /, on);
      for (const [key, what] of [["sendFd", "sendFd()"], ["receiveFd", "receiveFd()"], ["callFds", 'call("echo")'], ["poolFds", 'call("echo")']] as const) {
        assert.ok(got[key].startsWith(`TypeError: ${what}: fds cannot travel to or from a worker on the portable backend (${here}; `), `${key}: ${on}`);
        assert.match(got[key], /: passing them needs the native library$/, on);
      }
      assert.match(got.workerSendFd, /^TypeError: sendFd\(\): fds cannot travel to or from this worker: its parent runs without the native library/, on);
      assert.equal(got.exit, 0, on);
      assert.deepEqual(got.pool, [1, 2, 3], on);
    }
  } finally {
    rmSync(dir, { recursive: true });
  }
}, 120000);

test("portable: Deno with no permission is told of --allow-ffi as well as the --allow-run it asks for", async () => {
  if (runtimeName !== "deno") return; // Deno's permissions
  // Started by aspawn: Deno's node:child_process hands its own permissions to a deno it starts.
  const [file, ...args] = await fixtureCommand("deno-no-permissions", { denoAllow: [] });
  const r = await run(file!, args, { cwd: repoRoot, env: { ASPAWN_BACKEND: "" }, reject: false });
  const got = JSON.parse(r.stdout);
  assert.equal(got.notCapable, true, r.stdout + r.stderr);
  assert.match(got.message, /--allow-run flag: aspawn runs children through libaspawn\.so with --allow-ffi/);
});

test("portable: the runSync hook (spawnSync, Bun.spawnSync, Deno.Command outputSync): output, status, failures, limits", () => {
  const b = portableBackend(runtimeName, "a test");
  const sync = (file: string, args: string[], extra: Partial<SyncRequest> = {}) =>
    b.runSync!({
      file, args, options: {}, defaults: { stdin: extra.input ? "pipe" : "ignore", stdout: "pipe", stderr: "pipe" },
      input: undefined, timeout: undefined, killSignal: 15, maxBuffer: 1 << 20, ...extra,
    });
  const r = sync("sh", ["-c", "echo out; echo err >&2; exit 3"]);
  assert.deepEqual([text(r.stdout), text(r.stderr), r.status.exitCode, r.status.signal, r.exceeded, r.timedOut],
    ["out\n", "err\n", 3, null, undefined, false]);
  // A terminal needs the native library: refused before anything runs, naming the option and the platform.
  assert.throws(() => sync("touch", [`${tmpdir()}/aspawn-pty-must-not-exist`], { options: { pty: true } }),
    /^TypeError: pty is not available on the portable backend \((Node|Bun|Deno); [\w-]+: a test\): it needs the native library$/);
  assert.throws(() => readFileSync(`${tmpdir()}/aspawn-pty-must-not-exist`));
  assert.throws(() => sync("nonexistent-aspawn-program", []), (e: unknown) =>
    e instanceof SpawnError && e.code === "ENOENT" && e.step === "execve");
  const big = sync("sh", ["-c", "yes | head -c 100000"], { maxBuffer: 10 });
  assert.deepEqual([big.exceeded, big.stdout.length], ["stdout", 10]);
  if (runtimeName === "deno") {
    assert.throws(() => sync("cat", [], { input: new Uint8Array(1) }), /^TypeError: input is not available to runSync\(\) on the portable backend \(Deno; [\w-]+: a test\)/);
    assert.throws(() => sync("sleep", ["5"], { timeout: 100 }), /^TypeError: timeout is not available to runSync\(\)/);
    return;
  }
  assert.equal(text(sync("cat", [], { input: new TextEncoder().encode("in") }).stdout), "in");
  const slow = sync("sleep", ["5"], { timeout: 200 });
  assert.deepEqual([slow.timedOut, slow.status.signal], [true, "SIGTERM"]);
});

test("portable: Deno 2.0-2.7 (no net.Socket of an fd, which the native backend wakes through) run the portable backend, saying why", () => {
  // Every async spawn failed there ("Not implemented"), only runSync worked.
  // Checked by hand with Deno 2.0.0 and 2.7.1 (spawn, run, $, runSync).
  for (const v of ["2.0.0", "2.3.0", "2.7.1"]) assert.match(denoWithoutFdSockets(v) ?? "", new RegExp(`^Deno ${v.replaceAll(".", "\\.")} cannot make a net\\.Socket of an fd.*Deno 2\\.8 or later`));
  for (const v of ["2.8.0", "2.9.6", "3.0.0"]) assert.equal(denoWithoutFdSockets(v), undefined, v);
  if (runtimeName !== "deno") assert.equal(denoWithoutFdSockets(), undefined, "not Deno");
});

test("portable: musl libc (Alpine) is told from glibc by what this process maps", () => {
  assert.equal(libcMismatch(), undefined, "this runtime runs on glibc");
  assert.equal(libcOf(readFileSync("/proc/self/maps", "latin1")), undefined);
  // As an Alpine process maps them (musl's loader is its libc).
  const alpine = "7f0c1a400000-7f0c1a414000 r--p 00000000 08:01 1048 /lib/ld-musl-x86_64.so.1\n" +
    "7f0c1a500000-7f0c1a600000 r-xp 00000000 08:01 2051 /usr/lib/libstdc++.so.6.0.32\n";
  assert.match(libcOf(alpine)!, /^this process runs on musl libc/);
  assert.match(libcOf("55d0c0a00000-55d0c0c00000 r-xp 00000000 08:01 77 /usr/local/bin/static-runtime\n")!, /does not use glibc/);
});

test("portable: Node's permission model without --allow-addons: the refused spawn says what each backend needs", async () => {
  if (runtimeName !== "node") return; // Node's permissions
  const [node, bundle] = await fixtureCommand("node-permission");
  const go = async (flags: string[]) =>
    JSON.parse((await run(node!, ["--experimental-permission", "--allow-fs-read=*", ...flags, bundle!], { env: { ASPAWN_BACKEND: "" } })).stdout);
  const refused = await go([]);
  assert.equal(refused.mechanism, "portable");
  for (const e of [refused.run, refused.runSync]) {
    assert.equal(e.code, "ERR_ACCESS_DENIED", JSON.stringify(refused));
    assert.match(e.message, /: aspawn runs children through libaspawn\.so, which Node's permission model loads with --allow-addons/);
  }
  const native = await go(["--allow-addons"]);
  assert.deepEqual([native.run, native.runSync], ["ran\n", "ran\n"]);
  assert.notEqual(native.mechanism, "portable");
}, 60000);

test("portable: real-time signals reach the child and name its end; aspawn/child_process's sync calls run; fork() on Deno says it needs the native backend", async () => {
  for (const env of [defaultEnv, portableEnv]) {
    const r = await runFixture("realtime-signals", [], { env, allowAll: true });
    const o = r.json;
    assert.ok(o, r.stdout + r.stderr); // was: Deno's portable run crashed ("Invalid signal: 35")
    const portable = o.mechanism === "portable";
    const where = `${runtimeName}, ${o.mechanism}`;
    // Were false on Node's and Bun's portable backend (the name went to an API that knows none), the child ran on.
    if (portable && runtimeName === "deno") assert.match(o.sent, /^TypeError: SIGRTMIN\+1: Deno can only send the named signals/, where);
    else {
      assert.equal(o.sent, true, where);
      assert.ok(o.sleeper.quick, `${where}: the child outlived the signal`);
      // Node's child_process reports a death by a signal it has no name for as exit code 0 (README, Platforms).
      if (!(portable && runtimeName === "node")) assert.deepEqual(o.sleeper, { exitCode: null, signal: "SIGRTMIN+1", quick: true }, where);
    }
    // Was { exitCode: null, signal: 35 } on Bun's portable backend.
    if (!(portable && runtimeName === "node")) assert.deepEqual(o.died, { exitCode: null, signal: "SIGRTMIN+1" }, where);
    // Was a TypeError ("Invalid signal: 35") from Deno's outputSync() on the portable backend.
    if (!(portable && runtimeName === "node")) assert.deepEqual(o.diedSync, { exitCode: null, signal: "SIGRTMIN+1" }, where);
    // Were "argv0 is not available on the portable backend" on Deno.
    assert.equal(o.execSync, "s\n", `${where}: ${o.syncError}`);
    assert.equal(o.spawnSync, "p\n", where);
    if (portable && runtimeName === "deno") assert.match(o.fork, /^TypeError: fork\(\) needs the native backend on deno/, where);
    else assert.equal(o.fork, "started", where);
  }
});
