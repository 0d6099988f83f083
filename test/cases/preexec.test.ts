// Pre-exec control on real processes (the test machines run as root):
// credentials, rlimits, umask, nice, sessions and groups, deathSignal, fds
// passed and swapped, cgroups, signal masks, seccomp; every failure as the
// documented SpawnError (bad values, TypeErrors, are in test/bad-input.ts).
import { assert, nativeTest, runtimeName } from "../adapter.ts";
import {
  chownSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmdirSync, rmSync,
  statSync,
} from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { readAll, text } from "../bytes.ts";
import { cgroup2Root, makeCgroup } from "../cgroup.ts";
import { fdOfListener } from "../fds.ts";
import { evalCommand, fixtureCommand, runFixture } from "../fixtures.ts";
import { procState, statField, statusField, waitDead } from "../proc.ts";
import { repoRoot } from "../repo-root.ts";
import { blockWriteFilter, hostArch, killAllFilter, otherArch } from "../seccomp.ts";
import { sleep } from "../wait.ts";
import { type Options, run, spawn, SpawnError } from "../../src/index.ts";

const NOBODY = 65534;

/** stdout of `file args` run with `options`. */
async function out(file: string, args: string[], options: Options): Promise<string> {
  return (await run(file, args, options)).stdout;
}

/** The SpawnError that `spawned` and `exited` both reject with. */
async function failure(options: Options, file = "true", args: string[] = []): Promise<SpawnError> {
  const p = spawn(file, args, { stdout: "ignore", ...options });
  const e = await p.spawned.then(() => null, (e: unknown) => e);
  assert.ok(e instanceof SpawnError, `expected a SpawnError, got ${String(e)}`);
  assert.equal(await p.exited.then(() => null, (x: unknown) => x), e, "exited rejects with the same error");
  return e;
}

function assertFailure(e: SpawnError, step: string, code: string): void {
  assert.deepEqual({ step: e.step, code: e.code }, { step, code }, e.message);
  assert.equal(e.cause.code, code);
  assert.equal(e.cause.syscall, step);
  assert.ok(e.message.includes(`${code}: `) && e.message.includes(`, ${step})`), e.message);
}

const ownStat = () => readFileSync("/proc/self/stat", "utf8");

nativeTest(["groups"], "preexec: uid, gid and groups as `id` sees them; ours unchanged", async () => {
  const id = ["-c", "id -u; id -g; id -G"];
  assert.equal(await out("sh", id, { uid: NOBODY, gid: NOBODY, groups: [100, 200] }), "65534\n65534\n65534 100 200\n");
  // groups default to [] when uid or gid is given: root's groups are dropped.
  assert.equal(await out("sh", id, { uid: NOBODY }), "65534\n0\n0\n");
  assert.equal(await out("sh", id, { gid: 100 }), "0\n100\n100\n");
  assert.equal(await out("sh", id, { groups: [5, 6] }), "0\n0\n0 5 6\n");
  assert.equal(await out("sh", id, { uid: 1234, gid: 4321, groups: [] }), "1234\n4321\n4321\n");
  const status = readFileSync("/proc/self/status", "utf8");
  assert.match(statusField(status, "Uid"), /^0\s+0\s+0\s+0$/);
  assert.match(statusField(status, "Gid"), /^0\s+0\s+0\s+0$/);
});

nativeTest(["cwd after credentials"], "preexec: cwd is entered after the credentials (EACCES as nobody)", async () => {
  assert.equal(statSync("/root").mode & 0o077, 0, "/root is private");
  assert.equal(await out("pwd", [], { uid: NOBODY, cwd: "/tmp" }), "/tmp\n");
  assertFailure(await failure({ uid: NOBODY, cwd: "/root" }), "chdir", "EACCES");
  assert.equal(await out("pwd", [], { cwd: "/root" }), "/root\n", "as root it works");
});

nativeTest(["rlimits"], "preexec: rlimits, ulimit and /proc/<pid>/limits", async () => {
  assert.equal(await out("sh", ["-c", "ulimit -n"], { rlimits: { nofile: 64 } }), "64\n");
  assert.equal(await out("sh", ["-c", "ulimit -Sn; ulimit -Hn"], { rlimits: { nofile: [64, 128] } }), "64\n128\n");
  const limits = await out("cat", ["/proc/self/limits"], {
    rlimits: {
      core: [0, Infinity],
      fsize: null,
      cpu: [30, 60],
      stack: 4n << 20n,
      nproc: [1000n, 2000],
      memlock: undefined, // unset
    },
  });
  const row = (name: string) => statusField(limits.replace(/^(Max [a-z ]+?)\s{2,}/gm, "$1:"), name).split(/\s+/);
  assert.deepEqual(row("Max core file size").slice(0, 2), ["0", "unlimited"]);
  assert.deepEqual(row("Max file size").slice(0, 2), ["unlimited", "unlimited"]);
  assert.deepEqual(row("Max cpu time").slice(0, 2), ["30", "60"]);
  assert.deepEqual(row("Max stack size").slice(0, 2), ["4194304", "4194304"]);
  assert.deepEqual(row("Max processes").slice(0, 2), ["1000", "2000"]);
  assert.equal(
    row("Max locked memory").join(" "),
    statusField(readFileSync("/proc/self/limits", "utf8").replace(/^(Max [a-z ]+?)\s{2,}/gm, "$1:"), "Max locked memory")
      .split(/\s+/).join(" "),
    "memlock: undefined leaves ours",
  );
  // Above fs.nr_open even root may not go: EPERM, named after the limit.
  const nrOpen = Number(readFileSync("/proc/sys/fs/nr_open", "utf8"));
  assertFailure(await failure({ rlimits: { nofile: nrOpen + 1 } }), "setrlimit:nofile", "EPERM");
  assertFailure(await failure({ rlimits: { cpu: 10, nofile: [64, nrOpen + 1] } }), "setrlimit:nofile", "EPERM");
});

nativeTest(["umask", "nice"], "preexec: umask and nice; ours unchanged", async () => {
  assert.equal(await out("sh", ["-c", "umask"], { umask: 0o027 }), "0027\n");
  assert.equal(await out("sh", ["-c", "umask"], { umask: 0 }), "0000\n");
  const ourNice = statField(ownStat(), 19);
  assert.equal(statField(await out("cat", ["/proc/self/stat"], { nice: 5 }), 19), "5");
  assert.equal(statField(await out("cat", ["/proc/self/stat"], { nice: -5 }), 19), "-5", "root may lower it");
  assert.equal(statField(await out("cat", ["/proc/self/stat"], { nice: 19 }), 19), "19");
  assert.equal(statField(ownStat(), 19), ourNice);
});

nativeTest(["processGroup"], "preexec: setsid and processGroup, from /proc/<pid>/stat", async () => {
  const [ourPgrp, ourSession] = [statField(ownStat(), 5), statField(ownStat(), 6)];
  const stat = async (options: Options) => {
    const p = spawn("cat", ["/proc/self/stat"], options);
    const s = text(await readAll(p.stdout));
    assert.equal((await p.exited).exitCode, 0);
    return { pid: String(p.pid), pgrp: statField(s, 5), session: statField(s, 6) };
  };
  let s = await stat({});
  assert.deepEqual([s.pgrp, s.session], [ourPgrp, ourSession], "unchanged by default");
  s = await stat({ setsid: true });
  assert.deepEqual([s.pgrp, s.session], [s.pid, s.pid]);
  s = await stat({ processGroup: true });
  assert.deepEqual([s.pgrp, s.session], [s.pid, ourSession]);
  s = await stat({ setsid: true, processGroup: true });
  assert.deepEqual([s.pgrp, s.session], [s.pid, s.pid], "setsid already leads a new group");
  // Joining the group of another child, in our session.
  const leader = spawn("sleep", ["10"], { processGroup: true });
  await leader.spawned;
  s = await stat({ processGroup: leader.pid });
  assert.deepEqual([s.pgrp, s.session], [String(leader.pid), ourSession]);
  leader.kill("SIGKILL");
  await leader.exited;
  // A group of another session cannot be joined.
  const other = spawn("sleep", ["10"], { setsid: true });
  await other.spawned;
  assertFailure(await failure({ processGroup: other.pid }), "setpgid", "EPERM");
  assertFailure(await failure({ setsid: true, processGroup: other.pid }), "setpgid", "EPERM");
  other.kill("SIGKILL");
  await other.exited;
});

/** Runs the death-signal fixture; returns the grandchild's pid once the middle process is dead. */
async function middleKilled(mode: string): Promise<number> {
  const r = await runFixture("death-signal", [mode]);
  const m = /grandchild (\d+)/.exec(r.stdout);
  assert.ok(m, `no pid in ${JSON.stringify(r)}`);
  assert.equal(r.signal, "SIGKILL", `the middle process was killed: ${JSON.stringify(r)}`);
  return Number(m![1]);
}

nativeTest(["deathSignal"], "preexec: deathSignal kills the child when its parent dies", async () => {
  for (const mode of ["kill", "uid"]) {
    const pid = await middleKilled(mode);
    const ms = await waitDead(pid, 1000);
    if (ms === null) process.kill(pid, "SIGKILL");
    assert.ok(ms !== null, `${mode}: grandchild ${pid} still ${procState(pid)} 1 s after its parent died`);
  }
  // Without it the orphan lives on.
  const pid = await middleKilled("none");
  await sleep(300);
  const state = procState(pid);
  if (state !== null) process.kill(pid, "SIGKILL");
  assert.ok(state !== null && state !== "Z", `without deathSignal the orphan lives (state ${state})`);
}, 60000);

nativeTest(["stdio fd numbers"], "preexec: a listening socket as fd 3 of several children, each accepting", async () => {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  // Node and Bun expose the fd on the handle; Deno does not, /proc always does.
  const handleFd = (server as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  const procFd = fdOfListener(port);
  if (runtimeName !== "deno") assert.equal(handleFd, procFd, "_handle.fd is the listening socket");
  assert.ok(procFd !== null && procFd > 2, `found the listener's fd: ${procFd}`);

  // Each child (this runtime, listening on fd 3) takes one connection,
  // stops listening, answers with its pid and exits.
  const [file, args] = evalCommand(`
    import("node:net").then(({ default: net }) => {
      const s = net.createServer((c) => { s.close(); c.end("pid " + process.pid + "\\n"); });
      s.listen({ fd: 3 }, () => console.log("listening"));
    });`);
  const children = [0, 1, 2].map(() => spawn(file, args, { stdio: ["ignore", "pipe", "inherit", procFd] }));
  try {
    await Promise.all(children.map((c) => c.spawned));
    // Ours closed, so only the children accept.
    await new Promise((r) => server.close(r));
    for (const c of children) {
      const reader = c.stdout!.getReader();
      assert.equal(text((await reader.read()).value!), "listening\n");
      await reader.cancel();
    }
    const answers: string[] = [];
    for (let i = 0; i < children.length; i++) {
      answers.push(await new Promise<string>((resolve, reject) => {
        let data = "";
        const sock = createConnection(port, "127.0.0.1");
        sock.setEncoding("utf8");
        sock.on("data", (d) => (data += d));
        sock.on("end", () => {
          sock.destroy();
          resolve(data);
        });
        sock.on("error", reject);
      }));
    }
    assert.deepEqual(answers.sort(), children.map((c) => `pid ${c.pid}\n`).sort(), "one connection per child");
    for (const c of children) assert.equal((await c.exited).exitCode, 0);
  } finally {
    for (const c of children) c.kill("SIGKILL");
    server.close();
  }
}, 30000);

nativeTest(["stdio fd numbers"], "preexec: stdio swaps our fds (stdout<->stderr, and two files)", async () => {
  const dir = mkdtempSync(`${tmpdir()}/aspawn-preexec-`);
  try {
    // Two files of ours, each passed as the other's number.
    const a = openSync(`${dir}/a`, "w"), b = openSync(`${dir}/b`, "w");
    const stdio: (number | string | null)[] = ["ignore", "pipe", "inherit"];
    stdio[a] = b;
    stdio[b] = a;
    const r = await run("sh", ["-c", `echo to-${a} >> /proc/self/fd/${a}; echo to-${b} >> /proc/self/fd/${b}`], {
      stdio: stdio as Options["stdio"],
    });
    assert.equal(r.exitCode, 0);
    closeSync(a);
    closeSync(b);
    assert.equal(readFileSync(`${dir}/a`, "utf8"), `to-${b}\n`);
    assert.equal(readFileSync(`${dir}/b`, "utf8"), `to-${a}\n`);

    // The child's stdout is our stderr and the other way round.
    const report = openSync(`${dir}/report`, "w");
    // ($$ is the shell, whose fds are not redirected; the last command would be exec'd.)
    const p = spawn("sh", ["-c", "a=$(readlink /proc/$$/fd/1); b=$(readlink /proc/$$/fd/2); echo \"$a\n$b\" >&3"], {
      stdio: ["ignore", 2, 1, report],
    });
    assert.equal((await p.exited).exitCode, 0);
    closeSync(report);
    assert.equal(readFileSync(`${dir}/report`, "utf8"), `${readlinkSync("/proc/self/fd/2")}\n${readlinkSync("/proc/self/fd/1")}\n`);

    // stdout and stderr both to one pipe of ours... and to each other's files.
    const o = openSync(`${dir}/o`, "w"), e = openSync(`${dir}/e`, "w");
    await run("sh", ["-c", "echo out; echo err >&2"], { stdout: e, stderr: o });
    closeSync(o);
    closeSync(e);
    assert.equal(readFileSync(`${dir}/o`, "utf8"), "err\n");
    assert.equal(readFileSync(`${dir}/e`, "utf8"), "out\n");
  } finally {
    rmSync(dir, { recursive: true });
  }
});

nativeTest(["cgroup"], "preexec: a child in a fresh cgroup (v2); a missing cgroup throws at once", async () => {
  const { dir, remove } = makeCgroup("preexec");
  const name = dir.slice(dir.lastIndexOf("/") + 1);
  try {
    const p = spawn("cat", ["/proc/self/cgroup"], { cgroup: dir });
    const lines = text(await readAll(p.stdout)).split("\n");
    assert.equal((await p.exited).exitCode, 0);
    assert.ok(lines.includes(`0::/${name}`), lines.join("\n"));
    assert.equal(readFileSync(`${dir}/cgroup.procs`, "utf8"), "", "reaped, so empty");
    // Combined with the other steps.
    const r = await run("sh", ["-c", "cat /proc/self/cgroup; id -u"], { cgroup: dir, uid: NOBODY, setsid: true });
    assert.ok(r.stdout.includes(`0::/${name}\n`) && r.stdout.endsWith("65534\n"), r.stdout);

    const missing = `${dir}-missing`;
    const e = (() => {
      try {
        spawn("true", [], { cgroup: missing });
      } catch (e) {
        return e;
      }
    })();
    assert.ok(e instanceof SpawnError, "thrown by spawn() itself");
    assertFailure(e, "cgroup", "ENOENT");
    await assert.rejects(run("true", [], { cgroup: missing }), (e) => e instanceof SpawnError && e.step === "cgroup");
  } finally {
    await remove();
  }
});

nativeTest(["signalMask"], "preexec: signalMask blocks signals; dispositions are reset", async () => {
  const status = async (options: Options) => await out("cat", ["/proc/self/status"], options);
  const hex = (n: bigint) => n.toString(16).padStart(16, "0");
  let s = await status({});
  assert.equal(statusField(s, "SigBlk"), hex(0n));
  assert.equal(statusField(s, "SigIgn"), hex(0n), "SIGPIPE and friends are not ignored in the child");
  s = await status({ signalMask: ["SIGUSR1", "SIGTERM", "SIGRTMIN+1", 2, "SIGRTMAX"] });
  const want = (1n << 9n) | (1n << 14n) | (1n << 34n) | (1n << 1n) | (1n << 63n);
  assert.equal(statusField(s, "SigBlk"), hex(want));
  assert.equal(statusField(s, "SigIgn"), hex(0n));
  // A blocked SIGTERM does not end the child; SIGKILL does.
  const p = spawn("sleep", ["10"], { signalMask: ["SIGTERM"] });
  await p.spawned;
  p.kill("SIGTERM");
  await sleep(100);
  assert.equal(p.exitStatus, null, "SIGTERM is blocked");
  p.kill("SIGKILL");
  assert.equal((await p.exited).signal, "SIGKILL");
});

nativeTest(["noNewPrivileges", "seccomp"], "preexec: noNewPrivileges, and seccomp implies it", async () => {
  assert.equal(statusField(await out("cat", ["/proc/self/status"], {}), "NoNewPrivs"), "0");
  assert.equal(statusField(await out("cat", ["/proc/self/status"], { noNewPrivileges: true }), "NoNewPrivs"), "1");
  // A filter for the other architecture allows everything here.
  const s = await out("cat", ["/proc/self/status"], { seccomp: blockWriteFilter(otherArch) });
  assert.equal(statusField(s, "NoNewPrivs"), "1");
  assert.equal(statusField(s, "Seccomp"), "2");
});

nativeTest(["seccomp"], "preexec: seccomp kill-all ends the child with SIGSYS; block-write makes echo fail", async () => {
  const p = spawn("/bin/echo", ["never"], { seccomp: killAllFilter(hostArch) });
  const s = await p.exited;
  assert.deepEqual([s.exitCode, s.signal, s.success], [null, "SIGSYS", false]);
  assert.equal(text(await readAll(p.stdout)), "");
  const r = await run("/bin/echo", ["hi"], { seccomp: blockWriteFilter(hostArch), reject: false });
  assert.deepEqual([r.exitCode, r.signal, r.stdout], [1, null, ""]);
  // Built for the other architecture, neither filter matches here.
  assert.equal(await out("/bin/echo", ["hi"], { seccomp: blockWriteFilter(otherArch) }), "hi\n");
  assert.equal(await out("/bin/echo", ["hi"], { seccomp: killAllFilter(otherArch) }), "hi\n");
});

nativeTest(["stdio fd numbers"], "preexec: a bad fd fails as dup2:<child fd>, EBADF", async () => {
  assertFailure(await failure({ stdio: ["ignore", "pipe", "inherit", 999] }), "dup2:3", "EBADF");
  assertFailure(await failure({ stdio: ["ignore", "pipe", "inherit", null, null, 999] }), "dup2:5", "EBADF");
  assertFailure(await failure({ stdout: 999 }), "dup2:1", "EBADF");
  assertFailure(await failure({ stdin: 998 }), "dup2:0", "EBADF");
  const e = await failure({ stdio: ["ignore", "pipe", "inherit", 999] }, "sh", ["-c", "it's"]);
  assert.equal(e.command, `sh -c 'it'\\''s'`);
  assert.equal(e.errno, 9);
});

nativeTest(["groups", "rlimits", "nice", "cgroup"], "preexec: as an unprivileged user, privileged steps fail with their SpawnError", async () => {
  const home = mkdtempSync(`${tmpdir()}/aspawn-nobody-`);
  chownSync(home, NOBODY, NOBODY);
  const root = cgroup2Root();
  const cg = root ? `${root}/aspawn-preexec-root-${process.pid}-${Date.now()}` : undefined;
  if (cg) mkdirSync(cg);
  try {
    const hard = /^Max open files\s+\d+\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"))![1]!;
    const [file, ...args] = await fixtureCommand("preexec-unprivileged");
    const r = await run(file!, [...args, String(NOBODY), hard, ...(cg ? [cg] : [])], {
      uid: NOBODY,
      gid: NOBODY,
      cwd: repoRoot,
      // Caches of Bun and Deno go under HOME.
      env: { HOME: home, XDG_CACHE_HOME: `${home}/.cache` },
      reject: false,
    });
    assert.equal(r.exitCode, 0, r.stderr);
    const got = JSON.parse(r.stdout) as Record<string, string>;
    assert.deepEqual(got, {
      // uid or gid clear the groups only when we are root: unprivileged, our
      // own uid works, and another fails at setuid/setgid itself.
      "own uid": "exit 0",
      "uid 0": "setuid EPERM",
      "gid 0": "setgid EPERM",
      "groups [0]": "setgroups EPERM",
      "nofile above hard": "setrlimit:nofile EPERM",
      "nofile soft at hard, hard unlimited": "setrlimit:nofile EPERM",
      "nofile lowered": "exit 0",
      "nice -1": "nice EACCES",
      "nice 1": "exit 0",
      ...(cg ? { "root's cgroup": "cgroup EACCES" } : {}),
    });
  } finally {
    rmSync(home, { recursive: true });
    if (cg) rmdirSync(cg);
  }
}, 60000);
