// `pty`: the child on a pseudo-terminal, shown with real programs (sh,
// bash -i, stty, ls, python3): isatty, window size and SIGWINCH, ^C to the
// foreground job, an interactive session, colours, bulk output, exit
// status, and nothing left behind.
import { readFileSync } from "node:fs";
import { assert, nativeTest } from "../adapter.ts";
import { run, runSync, spawn, type Subprocess } from "../../src/index.ts";
import { runFixture, showFixture } from "../fixtures.ts";
import { fdList, openFds } from "../fds.ts";
import { alive, cmdline, descendants, statField, zombieChildren } from "../proc.ts";
import { settle } from "../snapshot.ts";
import { sleep } from "../wait.ts";

/** Most cases take well under a second; the machine may be loaded 20x. */
const SLOW = 90000;
const encoder = new TextEncoder();
const type = (p: Subprocess, keys: string) => {
  const w = p.stdin!.getWriter();
  return w.write(encoder.encode(keys)).finally(() => w.releaseLock());
};

/** Reads the terminal's output as it comes, for waiting on what a program prints. */
class Screen {
  text = "";
  readonly done: Promise<void>;
  #waiters: (() => void)[] = [];

  constructor(p: Subprocess) {
    const decoder = new TextDecoder();
    this.done = (async () => {
      for await (const chunk of p.stdout!) {
        // bash's bracketed-paste mode switches are not what we look for
        this.text = (this.text + decoder.decode(chunk, { stream: true })).replace(/\x1b\[\?2004[hl]/g, "");
        for (const w of this.#waiters.splice(0)) w();
      }
    })();
  }

  /** Until the output after `from` matches; the index past the match. */
  async until(re: RegExp, from = 0, ms = 60000): Promise<number> {
    const deadline = performance.now() + ms;
    for (;;) {
      const m = re.exec(this.text.slice(from));
      if (m) return from + m.index + m[0].length;
      if (performance.now() > deadline) throw new Error(`no ${re} in ${JSON.stringify(this.text.slice(from))}`);
      await Promise.race([new Promise<void>((r) => this.#waiters.push(r)), sleep(100)]);
    }
  }
}

/** Until the shell's `sleep` runs as the terminal's foreground job: ^C is for it then, not the shell. */
async function foregroundSleep(shell: number): Promise<void> {
  for (const deadline = performance.now() + 60000; performance.now() < deadline; await sleep(20)) {
    for (const pid of descendants(shell)) {
      if (!cmdline(pid).startsWith("sleep\0")) continue;
      let stat = "";
      try {
        stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      } catch {
        continue;
      }
      if (statField(stat, 8) === statField(stat, 5)) return; // tpgid: the terminal's foreground group is its group
    }
  }
  throw new Error("the shell's sleep never became the foreground job");
}

/** A shell that says where its prompt is, with no rc files and no history. */
const interactive = (shell: "bash" | "sh") =>
  shell === "bash"
    ? spawn("bash", ["--norc", "--noprofile", "-i"], { pty: true, env: { PS1: "PROMPT$ ", HISTFILE: "/dev/null" } })
    : spawn("sh", ["-i"], { pty: true, env: { PS1: "PROMPT$ ", ENV: "" } });

nativeTest(["pty"], "pty: stdin, stdout and stderr are the terminal, the controlling one, in a session of the child's own", async () => {
  const p = spawn("sh", ["-c", 'for fd in 0 1 2; do test -t $fd && printf "tty$fd "; done; echo; ps -o sid= -p $$; tty; test "$(ps -o tty= -p $$)" != "?" && echo ctty'], { pty: true });
  const out = await p.text();
  const [ttys, sid, name, ctty] = out.split("\r\n");
  assert.equal(ttys, "tty0 tty1 tty2 ", out);
  assert.equal(Number(sid?.trim().split(/\s+/).pop()), p.pid, `the child leads its session: ${out}`);
  assert.match(name!, /^\/dev\/pts\/\d+$/);
  assert.equal(ctty, "ctty");
  assert.equal(p.exitStatus?.exitCode, 0);
}, SLOW);

nativeTest(["pty"], "pty: python3 sees a tty on each slot; a slot given something else keeps it (stderr: \"pipe\")", async () => {
  const code = "import os,sys; print(os.isatty(0), os.isatty(1), os.isatty(2)); sys.stderr.write('err')";
  const p = spawn("python3", ["-c", code], { pty: true, stderr: "pipe" });
  const [out, err] = await Promise.all([p.text(), new Response(p.stderr).text()]);
  assert.equal(out, "True True False\r\n");
  assert.equal(err, "err");
  // Bun's spelling: only the slots marked "pty" are on it.
  const q = spawn("python3", ["-c", code], { stdin: "pty", stdout: "pty", stderr: "pipe" });
  assert.equal(await q.text(), "True True False\r\n");
  const r = await run("sh", ["-c", "test -t 0 && test -t 1 && test ! -t 2 && echo yes"], { stdio: ["pty", "pty", "ignore"] });
  assert.equal(r.stdout, "yes\r\n");
}, SLOW);

nativeTest(["pty"], "pty: stty size shows the window; resize changes it and a SIGWINCH trap sees the new size", async () => {
  assert.equal((await run("stty", ["size"], { pty: true })).stdout, "24 80\r\n");
  assert.equal((await run("stty", ["size"], { pty: { cols: 132, rows: 43 } })).stdout, "43 132\r\n");
  const p = spawn("sh", ["-c", 'trap \'echo "winch $(stty size)"\' WINCH; echo ready; while :; do sleep 0.05; done'], { pty: { cols: 100, rows: 30 } });
  const screen = new Screen(p);
  await screen.until(/ready/);
  assert.deepEqual(p.pty!.size, { cols: 100, rows: 30 });
  p.pty!.resize(120, 40);
  assert.deepEqual(p.pty!.size, { cols: 120, rows: 40 });
  await screen.until(/winch 40 120/);
  p.kill("SIGKILL");
  await p.exited;
  await screen.done;
  assert.throws(() => p.pty!.resize(0, 10), /pty\.resize\(\): cols must be an integer from 1 to 65535, got 0/);
  // Everything read, the terminal is gone: its size cannot be set any more.
  assert.throws(() => p.pty!.resize(80, 24), (e: Error & { code?: string }) => e.code === "EBADF");
}, SLOW);

for (const shell of ["bash", "sh"] as const) {
  nativeTest(["pty"], `pty: ^C interrupts a sleep in ${shell} -i and the prompt returns; a command's output and the next prompt`, async () => {
    const p = interactive(shell);
    const screen = new Screen(p);
    let at = await screen.until(/PROMPT\$ /);
    await type(p, "echo $((6 * 7))\r");
    at = await screen.until(/\n\r?42\r\nPROMPT\$ /, at);
    await type(p, "sleep 30; echo not-interrupted\r");
    await screen.until(/sleep 30; echo not-interrupted\r\n/, at);
    await foregroundSleep(p.pid);
    await type(p, "\x03");
    at = await screen.until(/PROMPT\$ /, at);
    assert.ok(!/\r\nnot-interrupted/.test(screen.text), "the sleep was interrupted, and the rest of its line with it");
    await type(p, "exit 3\r");
    assert.equal((await p.exited).exitCode, 3);
    await screen.done;
  }, SLOW);
}

nativeTest(["pty"], "pty: ls --color=auto and grep --color=auto colour on the terminal, not on a pipe", async () => {
  const tty = await run("ls", ["--color=auto", "-d", "/", "/tmp"], { pty: true });
  assert.match(tty.stdout, /\x1b\[[0-9;]*m/);
  const pipe = await run("ls", ["--color=auto", "-d", "/", "/tmp"]);
  assert.doesNotMatch(pipe.stdout, /\x1b\[/);
  const grep = await run("sh", ["-c", "echo needle | grep --color=auto needle"], { pty: true });
  assert.match(grep.stdout, /\x1b\[[0-9;]*m\x1b\[K?needle|\x1b\[[0-9;]*mneedle/);
}, SLOW);

nativeTest(["pty"], "pty: TERM is xterm-256color when the environment has none; pty.term and env.TERM win", async () => {
  const term = (o: object) => run("sh", ["-c", 'echo "$TERM"'], { pty: true, ...o }).then((r) => r.stdout);
  assert.equal(await term({ clearEnv: true, env: { PATH: process.env.PATH! } }), "xterm-256color\r\n");
  assert.equal(await term({ env: { TERM: undefined } }), "\r\n");
  assert.equal(await term({ env: { TERM: "vt100" } }), "vt100\r\n");
  assert.equal((await run("sh", ["-c", 'echo "$TERM"'], { pty: { term: "screen" } })).stdout, "screen\r\n");
}, SLOW);

nativeTest(["pty"], "pty: 32 MiB of output through the terminal arrive whole, after the program exited", async () => {
  const size = 32 << 20;
  // raw: no "\n" -> "\r\n" translation, so the byte count is the program's
  const p = spawn("sh", ["-c", `stty raw -echo; head -c ${size} /dev/zero | tr '\\0' x`], { pty: true });
  let n = 0, other = 0;
  for await (const chunk of p.stdout!) {
    n += chunk.length;
    for (const b of chunk) if (b !== 0x78) other++;
  }
  assert.equal(n, size);
  assert.equal(other, 0);
  assert.equal((await p.exited).exitCode, 0);
}, 240000); // ~1.5 s alone; minutes on a machine loaded 20x

nativeTest(["pty"], "pty: exit codes and signals; a program that writes and exits at once loses nothing", async () => {
  const r = await run("sh", ["-c", "printf last; exit 7"], { pty: true, reject: false });
  assert.equal(r.exitCode, 7);
  assert.equal(r.stdout, "last");
  const p = spawn("sleep", ["30"], { pty: true });
  await p.spawned;
  p.kill("SIGINT");
  assert.equal((await p.exited).signal, "SIGINT");
  const q = spawn("sleep", ["30"], { pty: true, timeout: 100 });
  assert.equal((await q.exited).signal, "SIGTERM");
  assert.ok(q.kill("0") === false);
}, SLOW);

nativeTest(["pty"], "pty: a program that writes and is killed at once loses nothing (runSync), 200 times", () => {
  // The master's first EIO could come before what was written was flushed to it (1 in ~2000 under load).
  for (let i = 0; i < 200; i++) {
    const r = runSync("sh", ["-c", "echo A; printf LAST && kill -9 $$"], { pty: true, reject: false });
    assert.equal(r.signal, "SIGKILL");
    assert.ok(r.stdout.endsWith("LAST"), `run ${i}: ${JSON.stringify(r.stdout)}`);
  }
}, SLOW);

nativeTest(["pty"], "pty: the terminal's input is set as terminal emulators set it: backspace erases a whole UTF-8 character (iutf8)", async () => {
  const flags = (await run("stty", ["-a"], { pty: true })).stdout;
  for (const f of ["iutf8", "ixany", "imaxbel", "brkint"]) assert.match(flags, new RegExp(`(^|\\s)${f}(\\s|$)`), f);
  const p = spawn("sh", ["-c", "echo READY; head -n 1 | od -An -tx1"], { pty: true });
  const screen = new Screen(p);
  await screen.until(/READY\r\n/);
  await type(p, "\u00e9\u007fx\r"); // é, backspace, x, return
  const from = await screen.until(/x\r\n/);
  await p.exited;
  await screen.done;
  assert.equal(screen.text.slice(from).trim(), "78 0a");
}, SLOW);

// cat closes its stdio before it exits: the master closed then hung it up (SIGHUP) in 1 run of 5.
nativeTest(["pty"], "pty: closing stdin types ^D: cat reads its end of input and exits, its output still comes", async () => {
  for (let i = 0; i < 10; i++) await catSession();
}, 90000);

async function catSession(): Promise<void> {
  const p = spawn("cat", [], { pty: true });
  const screen = new Screen(p);
  await type(p, "hello\r");
  await screen.until(/hello\r\nhello\r\n/);
  await p.stdin!.close();
  assert.equal((await p.exited).exitCode, 0);
  await screen.done;
  assert.equal(screen.text, "hello\r\nhello\r\n");
}

nativeTest(["pty"], "pty: no zombie and no fd of ours left after exit, kill, timeout, a program that closes the terminal early, and unread output", async () => {
  await run("true", [], { pty: true });
  await settle();
  const fds = openFds();
  await run("echo", ["done"], { pty: true });
  const killed = spawn("sleep", ["30"], { pty: true });
  await killed.spawned;
  killed.kill("SIGKILL");
  await killed.exited;
  await killed.text().catch(() => {});
  await run("sleep", ["30"], { pty: true, timeout: 50, reject: false });
  // Closes its terminal and lives on: the output ends then, but the master
  // stays until the exit (closing it would hang the program up: SIGHUP).
  const early = spawn("sh", ["-c", "echo bye; exec 0<&- 1>&- 2>&-; sleep 0.5"], { pty: true });
  const stdout = early.stdout!.getReader();
  assert.equal(new TextDecoder().decode((await stdout.read()).value), "bye\r\n");
  assert.equal((await stdout.read()).done, true);
  assert.equal(early.exitStatus, null, "the output ended before the program did");
  assert.equal((await early.exited).exitCode, 0);
  // Output nobody read: the master closes with the child's exit... or after reading.
  const unread = spawn("sh", ["-c", "echo unread"], { pty: true });
  await unread.exited;
  await new Response(unread.stdout).text();
  // stdin taken and left open: the end of the output closes it.
  const typed = spawn("sh", ["-c", "read x; echo got $x"], { pty: true });
  await type(typed, "it\r");
  assert.match(await typed.text(), /got it\r\n$/);
  await settle();
  assert.equal(openFds(), fds, `nothing left open: ${fdList().join(" ")}`);
  assert.equal(zombieChildren(), 0);
}, 90000);

nativeTest(["pty"], "pty: cancelling stdout closes the terminal: the program is hung up (SIGHUP)", async () => {
  const p = spawn("sh", ["-c", "echo ready; sleep 30"], { pty: true });
  const reader = p.stdout!.getReader();
  assert.match(new TextDecoder().decode((await reader.read()).value), /ready/);
  await reader.cancel();
  assert.equal((await p.exited).signal, "SIGHUP");
}, SLOW);

nativeTest(["pty"], "pty: bad options are TypeErrors naming the option, before anything is opened", async () => {
  await settle();
  const fds = openFds();
  const bad: [object, RegExp][] = [
    [{ pty: { cols: 0 } }, /^pty\.cols must be an integer from 1 to 65535, got 0$/],
    [{ pty: { rows: 70000 } }, /^pty\.rows must be an integer from 1 to 65535, got 70000$/],
    [{ pty: { cols: 1.5 } }, /^pty\.cols/],
    [{ pty: { width: 100 } }, /^pty: unknown option "width"; known: cols, rows, term$/],
    [{ pty: "yes" }, /^pty must be true or \{ cols, rows, term \}, got "yes"$/],
    [{ pty: { term: "a=b" } }, /^pty\.term must be a terminal name/],
    [{ pty: true, setsid: false }, /^setsid: false contradicts pty/],
    [{ pty: true, processGroup: 1 }, /^processGroup: a number contradicts pty/],
    [{ pty: false, stdout: "pty" }, /^pty is false, but stdout asks for a terminal/],
    [{ pty: true, stdio: ["pipe", "pipe", "pipe"] }, /^pty: stdin, stdout and stderr are all given something else/],
    [{ stdin: "pty" }, /^stdin: a terminal for stdin alone/],
    [{ stdio: ["ignore", "ignore", "ignore", "pty"] }, /^stdio\[3\]/],
    [{ pty: true, cgroup: "/nonexistent\0" }, /^cgroup must not contain NUL/],
  ];
  for (const [o, re] of bad) assert.throws(() => spawn("true", [], o), (e: Error) => e instanceof TypeError && re.test(e.message), JSON.stringify(o));
  for (const [o, re] of bad) assert.throws(() => runSync("true", [], o), (e: Error) => e instanceof TypeError && re.test(e.message), `runSync ${JSON.stringify(o)}`);
  // Refused once the pair is open (plan() names the conflict): the pair is closed again.
  assert.throws(() => runSync("cat", [], { pty: true, stdin: "pty", input: "x" }), /^TypeError: input and stdin cannot both be given/);
  assert.throws(() => runSync("true", [], { pty: true, stdio: [undefined, undefined, undefined, "pipe"] as never }), /^TypeError: stdio\[3\]: "pipe" on an fd above 2/);
  assert.equal(openFds(), fds, `nothing left open: ${fdList().join(" ")}`);
}, SLOW);

nativeTest(["pty"], "pty: input is stdin given something else: a pipe, while the output is on the terminal", async () => {
  const r = await run("sh", ["-c", "test ! -t 0 && test -t 1 && cat"], { pty: true, input: "piped\n" });
  assert.equal(r.stdout, "piped\r\n");
}, SLOW);

nativeTest(["pty"], "pty: works with cwd, env, rlimits and deathSignal; kill({ group }) reaches the terminal's job", async () => {
  const r = await run("sh", ["-c", 'echo "$PWD $X $(ulimit -n)"'], { pty: true, cwd: "/tmp", env: { X: "y" }, rlimits: { nofile: 77 }, deathSignal: "SIGKILL" });
  assert.equal(r.stdout, "/tmp y 77\r\n");
  const p = spawn("sh", ["-c", "sleep 30 & wait"], { pty: true });
  await sleep(200);
  assert.equal(p.kill("SIGTERM", { group: true }), true);
  assert.equal((await p.exited).signal, "SIGTERM");
  assert.equal(await p.text().catch((e: Error) => e.name), "ExitError");
}, SLOW);

// ---- runSync() ------------------------------------------------------------

nativeTest(["pty"], "pty runSync: the terminal's output as stdout (\\r\\n), its window size, stderr: \"pipe\" apart, Bun's stderr: \"pty\"", () => {
  assert.equal(runSync("sh", ["-c", "test -t 1 && echo tty"], { pty: true }).stdout, "tty\r\n");
  const all = runSync("sh", ["-c", 'for fd in 0 1 2; do test -t $fd && printf "tty$fd "; done; echo; echo err >&2'], { pty: true });
  assert.equal(all.stdout, "tty0 tty1 tty2 \r\nerr\r\n");
  assert.equal(all.stderr, "");
  assert.equal(runSync("stty", ["size"], { pty: true }).stdout, "24 80\r\n");
  assert.equal(runSync("stty", ["size"], { pty: { cols: 132, rows: 43 } }).stdout, "43 132\r\n");
  assert.equal(runSync("sh", ["-c", 'echo "$TERM"'], { pty: { term: "screen" } }).stdout, "screen\r\n");
  const apart = runSync("sh", ["-c", "echo out; test ! -t 2 && echo err >&2"], { pty: true, stderr: "pipe" });
  assert.deepEqual([apart.stdout, apart.stderr], ["out\r\n", "err\n"]);
  const bun = runSync("sh", ["-c", "test -t 2 && echo err >&2; test ! -t 1 && echo out"], { stderr: "pty" });
  assert.deepEqual([bun.stdout, bun.stderr], ["out\n", "err\r\n"]);
  assert.match(runSync("ls", ["--color=auto", "-d", "/"], { pty: true }).stdout, /\x1b\[[0-9;]*m/);
}, SLOW);

nativeTest(["pty"], "pty runSync: 1 MiB written just before the exit arrives whole; a quick exit loses nothing; exit codes and signals", () => {
  const size = 1 << 20;
  for (let i = 0; i < 3; i++) {
    // raw: no "\n" -> "\r\n", so the count is the program's
    const r = runSync("sh", ["-c", `stty raw -echo; head -c ${size} /dev/zero | tr '\\0' x`], { pty: true, encoding: "buffer" });
    assert.equal(r.stdout.length, size);
    assert.ok(r.stdout.every((b) => b === 0x78));
  }
  // Cooked: every "\n" becomes "\r\n".
  const lines = runSync("sh", ["-c", "seq 1 100000"], { pty: true }).stdout;
  assert.equal(lines.length, runSync("seq", ["1", "100000"]).stdout.length + 100000);
  assert.ok(lines.endsWith("\r\n99999\r\n100000\r\n"));
  for (let i = 0; i < 30; i++) {
    const r = runSync("sh", ["-c", "printf last; exit 7"], { pty: true, reject: false });
    assert.deepEqual([r.stdout, r.exitCode], ["last", 7]);
  }
  assert.equal(runSync("sh", ["-c", "kill -INT $$"], { pty: true, reject: false }).signal, "SIGINT");
}, 240000);

nativeTest(["pty"], "pty runSync: a program that closes its terminal before it exits is not hung up: its own exit code", () => {
  // Its output ends (EIO) while it still runs: the master must stay open until the reap.
  for (let i = 0; i < 5; i++) {
    const r = runSync("sh", ["-c", "echo bye; exec 0<&- 1>&- 2>&-; sleep 0.2; exit 3"], { pty: true, reject: false });
    assert.deepEqual([r.stdout, r.exitCode, r.signal], ["bye\r\n", 3, null]);
  }
}, SLOW);

nativeTest(["pty"], "pty runSync: input is a pipe (exact bytes, then end of file) while the output is on the terminal; without it stdin is the terminal", () => {
  const r = runSync("sh", ["-c", "test ! -t 0 && test -t 1 && cat"], { pty: true, input: "piped\nno newline" });
  assert.equal(r.stdout, "piped\r\nno newline");
  const bytes = runSync("sh", ["-c", "stty raw </dev/tty; cat"], { pty: true, input: new Uint8Array([3, 4, 0, 255]), encoding: "buffer" });
  assert.deepEqual([...bytes.stdout], [3, 4, 0, 255]);
  // Nothing types on the terminal: a read waits until the timeout.
  const t = runSync("sh", ["-c", "test -t 0 && echo stdin-tty; read x; echo got $x"], { pty: true, timeout: 300, reject: false });
  assert.deepEqual([t.stdout, t.timedOut, t.signal], ["stdin-tty\r\n", true, "SIGTERM"]);
}, SLOW);

nativeTest(["pty"], "pty runSync: timeout, killSignal and maxBuffer as for pipes; a descendant holding the terminal does not hold the call; nothing left", async () => {
  runSync("true", [], { pty: true });
  await settle();
  const fds = openFds();
  const t0 = performance.now();
  const t = runSync("sh", ["-c", "echo started; sleep 30"], { pty: true, timeout: 300, reject: false });
  assert.deepEqual([t.stdout, t.timedOut, t.signal], ["started\r\n", true, "SIGTERM"]);
  assert.ok(performance.now() - t0 < 10000, `took ${performance.now() - t0} ms`);
  // killSignal goes to the terminal's job (the program leads its group), as run() sends it.
  const k = runSync("sh", ["-c", "trap '' TERM; sleep 30 & echo $!; wait"], { pty: true, timeout: 300, killSignal: "SIGKILL", reject: false });
  const member = Number(k.stdout.trim());
  assert.equal(k.signal, "SIGKILL");
  for (const t1 = performance.now(); alive(member) && performance.now() - t1 < 10000;);
  assert.equal(alive(member), false, "the group was signalled");
  const m = runSync("yes", [], { pty: true, maxBuffer: 1000, reject: false });
  assert.deepEqual([m.stdout.length, m.maxBufferExceeded, m.signal], [1000, true, "SIGTERM"]);
  // The program exits at once; a descendant that ignores SIGHUP keeps the
  // slave open for 30 s. The timeout ends the wait for the end of output.
  const t2 = performance.now();
  const d = runSync("sh", ["-c", "trap '' HUP; sleep 30 & echo $!"], { pty: true, timeout: 400, reject: false });
  const orphan = Number(d.stdout.trim());
  try {
    assert.deepEqual([d.exitCode, d.timedOut], [0, true]);
    assert.ok(orphan > 0 && alive(orphan), `the descendant still holds the terminal: ${d.stdout}`);
    assert.ok(performance.now() - t2 < 10000, `took ${performance.now() - t2} ms`);
  } finally {
    if (orphan > 0) process.kill(orphan, "SIGKILL");
  }
  await settle();
  assert.equal(openFds(), fds, `nothing left open: ${fdList().join(" ")}`);
  assert.equal(zombieChildren(), 0);
}, SLOW);

// ---- Workers --------------------------------------------------------------

nativeTest(["pty"], "pty from a Worker: the terminal read and resized, runSync on one; the Worker terminated under its live shell leaves no fd and no child", async () => {
  const w = await runFixture("pty-worker", [], { allowAll: true, bundles: ["pty-worker-child"], timeoutMs: 120000 });
  assert.equal(w.code, 0, showFixture(w));
  const seen = {
    before: { cols: 100, rows: 30 },
    after: { cols: 120, rows: 40 },
    screen: "ready\r\nwinch 40 120\r\n",
    sync: "20 90\r\n",
    reaped: true,
  };
  assert.deepEqual(w.json, { results: [seen, seen, seen], zombies: 0, fdsLeaked: 0, terminalsLeft: 0 }, showFixture(w));
}, 180000);
