// aspawn/child_process with a polluted Object.prototype (Node's
// test-child-process-prototype-tampering): only the options' own properties
// count, in every function and in the library options they build. The
// prototype is tampered only while the calls read their options (synchronously),
// then restored before anything is awaited.
import { exec, execFile, execFileSync, execSync, fork, spawn, spawnSync } from "../../src/child_process/index.ts";
import { runtime } from "../../src/ffi/runtime.ts";
import { assert, test } from "../adapter.ts";
import { record } from "../child-process-events.ts";
import { repoRoot } from "../repo-root.ts";

const proto = Object.prototype as Record<string, unknown>;
const cwd = process.cwd();

/**
 * Each of these, inherited, used to change what ran or make it fail (cwd,
 * timeout, maxBuffer). Keys that Node's own streams and modules read
 * inherited too (encoding, signal, stdio) are left out: Node gives no
 * guarantee for them either.
 */
const polluted: Record<string, unknown> = {
  cwd: "/not/existing/malicious/path",
  uid: 12345,
  gid: 12345,
  shell: true,
  timeout: 1,
  maxBuffer: 1,
  killSignal: "SIGKILL",
  detached: true,
  input: "tampered",
  execPath: "/not/existing/malicious/path",
  argv0: "tampered",
};

function tampered<T>(fn: () => T): T {
  // The native library loaded first, as Node's modules are before its test
  // tampers: koffi's own module setup enumerates inherited keys.
  spawnSync("true");
  for (const [k, v] of Object.entries(polluted)) proto[k] = v;
  try {
    return fn();
  } finally {
    for (const k of Object.keys(polluted)) delete proto[k];
  }
}

const output = (cb: (resolve: (s: string) => void, reject: (e: Error) => void) => void) => new Promise<string>(cb);

test("a polluted Object.prototype changes nothing: execSync, execFileSync, spawnSync", () => {
  const r = tampered(() => ({
    execSync: String(execSync("pwd; echo $0")),
    execFileSync: String(execFileSync("pwd")),
    spawnSync: spawnSync("sh", ["-c", 'pwd; echo "$1"', "sh", '-L && echo "tampered"']),
  }));
  assert.equal(r.execSync, `${cwd}\n/bin/sh\n`);
  assert.equal(r.execFileSync, `${cwd}\n`);
  assert.equal(r.spawnSync.status, 0);
  // Not run through a shell: the argument is one word, printed as given.
  assert.equal(String(r.spawnSync.stdout), `${cwd}\n-L && echo "tampered"\n`);
});

test("a polluted Object.prototype changes nothing: exec, execFile, spawn, fork", async () => {
  const started = tampered(() => {
    const viaExec = output((resolve, reject) => exec("pwd", (e, out) => (e ? reject(e) : resolve(String(out)))));
    const viaExecFile = output((resolve, reject) => execFile("pwd", ['-L && echo "tampered"'], (e, out, err) => (e ? resolve(`failed: ${err}`) : reject(new Error(String(out))))));
    const spawned = spawn("pwd");
    const forked = fork(`${repoRoot}test/fixtures/cp-ipc-child.cjs`, ["x"], {
      stdio: ["ignore", "ignore", "ignore", "ipc"],
      ...(runtime === "deno" ? { execArgv: ["run", "--allow-all"] } : {}),
    });
    // Listened for at once: a message nobody listens for is dropped, as in
    // Node, and a quick child's first one can come before the awaits below.
    const hello = new Promise<Record<string, unknown>>((resolve) => forked.once("message", resolve));
    return { viaExec, viaExecFile, spawned: record(spawned), forked, forkDone: record(forked), hello };
  });
  assert.equal(await started.viaExec, `${cwd}\n`);
  // pwd got the whole string as one argument (no shell): it refuses it.
  assert.match(await started.viaExecFile, /^failed: /);
  const s = await started.spawned;
  assert.equal(s.stdout, `${cwd}\n`);
  assert.deepEqual(s.close, [0, null]);
  // fork ran this runtime, not the polluted execPath, and its channel works.
  assert.deepEqual((await started.hello).hello, ["x"]);
  started.forked.send("exit");
  assert.deepEqual((await started.forkDone).close, [7, null]);
});
