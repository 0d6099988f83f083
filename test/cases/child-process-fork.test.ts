// aspawn/child_process: fork() and Node's IPC channel, with an unmodified
// Node child (test/fixtures/cp-ipc-child.cjs: process.send and
// process.on("message")) whatever runtime the parent is.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { denoForkArgs } from "../../src/child_process/deno-args.ts";
import { type ChildProcess, fork, spawn } from "../../src/child_process/index.ts";
import { runtime } from "../../src/ffi/runtime.ts";
import { assert, test } from "../adapter.ts";
import { record } from "../child-process-events.ts";
import { repoRoot } from "../repo-root.ts";

const CHILD = `${repoRoot}test/fixtures/cp-ipc-child.cjs`;
const NODE = "/usr/bin/node";

function next(child: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((resolve) => child.once("message", resolve));
}

/** Whether this runtime's node:v8 writes what Node's V8 reads: on Node only; elsewhere a TypeError says so before anything runs. */
function advancedHere(): boolean {
  const start = () => spawn("true", { stdio: ["ignore", "ignore", "ignore", "ipc"], serialization: "advanced" });
  if (runtime === "node") return true;
  assert.throws(start, /serialization: "advanced" needs node:v8's serializer as Node has it/);
  return false;
}

for (const serialization of ["json", "advanced"] as const) {
  test(`fork (${serialization}): messages both ways with a Node child, then disconnect from the child`, async () => {
    if (serialization === "advanced" && !advancedHere()) return;
    const child = fork(CHILD, ["a", "b"], { execPath: NODE, serialization });
    assert.equal(child.connected, true);
    const done = record(child);
    assert.deepEqual((await next(child)).hello, ["a", "b"]);
    const value = serialization === "json"
      ? { x: [1, "two", null], s: "é\n" }
      : { n: 12345678901234567890n, m: new Map([[1, { d: new Date(0) }]]), b: Buffer.from("hi"), u: new Uint16Array([1, 2]) };
    const sent = await new Promise<unknown>((resolve) => child.send(value, resolve));
    assert.equal(sent, null, "the callback says the message is written");
    const echo = (await next(child)).echo as typeof value;
    assert.deepEqual(echo, serialization === "json" ? value : { ...value, b: echo.b });
    if (serialization === "advanced") assert.equal(Buffer.from((echo as { b: Uint8Array }).b).toString(), "hi");
    // A message larger than any socket buffer, in pieces.
    child.send({ big: "x".repeat(3 << 20) });
    assert.equal((await next(child)).size, 3 << 20);
    child.send("disconnect");
    const r = await done;
    assert.deepEqual(r.events, ["spawn", "disconnect", "exit 5 null", "close 5 null"]);
    assert.equal(child.connected, false);
  }, 30000);
}

test("fork: messages read together with the channel's end see it connected, and a reply fails with EPIPE before `disconnect`, as in Node", async () => {
  const child = fork(CHILD, [], { execPath: NODE });
  await next(child);
  const seen: string[] = [];
  child.on("message", (m) => {
    seen.push(`${String(m)}:${child.connected}`);
    child.send("ack", (e) => seen.push(`ack ${(e as { code?: string } | null)?.code ?? "sent"}`));
  });
  child.on("disconnect", () => seen.push("disconnect"));
  child.send("burst");
  // Busy while the child sends and disconnects: its messages and the end are read in one turn.
  const until = Date.now() + 500;
  while (Date.now() < until);
  await new Promise((r) => child.once("close", r));
  const messages = seen.filter((s) => !s.startsWith("ack") && s !== "disconnect");
  assert.deepEqual(messages, ["0:true", "1:true", "2:true", "3:true", "4:true", "last:true"], seen.join(" "));
  // Was: connected false and ERR_IPC_CHANNEL_CLOSED from the first message on.
  assert.ok(seen.filter((s) => s.startsWith("ack")).every((s) => s === "ack EPIPE" || s === "ack sent"), seen.join(" "));
  assert.equal(seen.at(-1), "disconnect", seen.join(" "));
}, 30000);

test("fork: messages still queued when the child goes away are dropped, as Node drops them: callbacks get null, no 'error' event", async () => {
  const dir = mkdtempSync(`${tmpdir()}/aspawn-quit-`);
  writeFileSync(`${dir}/quit.cjs`, "process.disconnect();\n");
  try {
    const child = fork(`${dir}/quit.cjs`, [], { execPath: NODE });
    const errors: unknown[] = [], called: unknown[] = [];
    child.on("error", (e) => errors.push(e));
    // More than the socket holds: most of it waits in the queue when the child leaves.
    const returned: boolean[] = [];
    for (let i = 0; i < 5; i++) returned.push(child.send("y".repeat(500000), (e) => called.push(e)));
    for (let i = 0; i < 5; i++) returned.push(child.send("z".repeat(500000)));
    assert.ok(returned.includes(false), `some sends waited in the queue: ${returned}`);
    await new Promise((r) => child.once("close", r));
    await new Promise((r) => setTimeout(r, 50));
    // Was: 'error' (write EPIPE), which ends a program that has no listener, and EPIPE callbacks.
    assert.deepEqual(errors, []);
    assert.deepEqual(called, [null, null, null, null, null]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("fork: null args and options are defaults, as in Node (fork(m, null, null))", async () => {
  const child = fork(CHILD, null as never, null as never);
  assert.deepEqual((await next(child)).hello, []);
  child.kill("SIGKILL");
  await new Promise((r) => child.once("close", r));
});

test("fork: a message is in the socket when send() returns: send() then kill() calls back with no error, as Node's", async () => {
  const child = fork(CHILD, { execPath: NODE });
  await next(child);
  const sent = new Promise<unknown>((resolve) => assert.equal(child.send({ h: "w" }, resolve), true));
  child.kill("SIGKILL");
  // The child dead (its socket closed) before this turn ends: a write left for later would meet EPIPE.
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && !dead(child.pid!));
  assert.equal(await sent, null);
  await new Promise((r) => child.once("close", r));
});

test("fork: send() returns false once 128 KiB wait to be written, as Node's; every message still arrives", async () => {
  // A child that reads nothing for 300 ms, then counts what came.
  const dir = mkdtempSync(`${tmpdir()}/aspawn-backlog-`);
  const slow = `${dir}/slow.cjs`;
  writeFileSync(slow, `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
let n = 0;
process.on("message", () => ++n === 400 && process.send(n));`);
  try {
    const child = fork(slow, { execPath: NODE });
    const counted = new Promise((resolve) => child.once("message", resolve));
    let falses = 0;
    // 12.5 MiB: more than the channel's socket buffers hold (they are larger than Node's).
    for (let i = 0; i < 400; i++) if (!child.send("z".repeat(32768))) falses++;
    assert.ok(falses > 0 && falses < 400, `send() returned false ${falses} times of 400`);
    assert.equal(await counted, 400);
    child.disconnect();
    await new Promise((r) => child.once("close", r));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Its socket released: the leader a zombie and no other thread left (a
 * thread's last fput runs before it leaves /proc, and the leader shows Z
 * before the others end).
 */
function dead(pid: number): boolean {
  try {
    return /\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8")) && readdirSync(`/proc/${pid}/task`).length === 1;
  } catch {
    return true;
  }
}

test("fork: send()'s callback comes after the spawn event, as in Node", async () => {
  const child = fork(CHILD, { execPath: NODE });
  const order: string[] = [];
  child.on("spawn", () => order.push("spawn"));
  await new Promise((resolve) => child.send("x", () => resolve(order.push("callback"))));
  assert.deepEqual(order, ["spawn", "callback"]);
  child.kill("SIGKILL");
  await new Promise((r) => child.once("close", r));
});

test("fork: the child's first message and a disconnect() come after the spawn event, as in Node, even when the event loop was held up", async () => {
  // Held up past the child's start: the exec's report and the message are
  // read in the same turn (a fast child, or a busy parent), and the
  // message came first (Bun's first fork did so 4 times in 10).
  const holdUp = () => {
    const until = Date.now() + 1500;
    while (Date.now() < until);
  };
  const talking = fork(CHILD, ["a"], { execPath: NODE });
  const order: string[] = [];
  talking.on("spawn", () => order.push("spawn"));
  talking.on("message", () => {
    order.push("message");
    talking.send("disconnect");
  });
  const talked = record(talking);
  holdUp();
  await talked;
  assert.deepEqual(order, ["spawn", "message"]);
  const quiet = fork(CHILD, ["a"], { execPath: NODE, stdio: ["ignore", "ignore", "ignore", "ipc"] });
  const done = record(quiet);
  quiet.disconnect();
  holdUp();
  assert.deepEqual((await done).events.slice(0, 2), ["spawn", "disconnect"]);
}, 30000);

test("fork: connected is true when spawn() returns, even for a child that exits at once (its EOF is read in a later turn, as in Node)", async () => {
  let early = 0;
  for (let i = 0; i < 20; i++) {
    // Many pipes after the channel: their streams are made between the clone and the channel's start.
    const child = spawn("true", { stdio: ["ignore", "ignore", "ignore", "ipc", ...Array<"pipe">(60).fill("pipe")] });
    if (!child.connected) early++;
    await new Promise((r) => child.once("close", r));
    assert.equal(child.connected, false);
  }
  assert.equal(early, 0);
});

test("fork: disconnect() from the parent ends the channel on both sides; send afterwards is ERR_IPC_CHANNEL_CLOSED", async () => {
  const child = fork(CHILD, { execPath: NODE });
  const done = record(child);
  await next(child);
  child.disconnect();
  assert.equal(child.connected, false);
  const err = await new Promise<Error & { code?: string }>((resolve) => child.send("late", resolve as never));
  assert.equal(err.code, "ERR_IPC_CHANNEL_CLOSED");
  const r = await done;
  // The child saw the disconnect (its exit code says so) and exited on its own.
  assert.deepEqual(r.events, ["spawn", "disconnect", "exit 5 null", "close 5 null"]);
  const again: Error[] = [];
  child.on("error", (e: Error) => again.push(e));
  child.disconnect();
  assert.equal((again[0] as { code?: string })?.code, "ERR_IPC_DISCONNECTED");
}, 30000);

test("fork: silent pipes the child's stdio; execArgv goes before the module; the stdio array takes 'ipc' anywhere", async () => {
  const child = fork("-e", ["x"], { execPath: "/bin/sh", execArgv: ["-c", 'echo "$0 $1 $NODE_CHANNEL_FD"'], silent: true } as never);
  const r = await record(child);
  // sh -c SCRIPT -e x: $0 is "-e", $1 "x"; the channel is fd 3.
  assert.equal(r.stdout, "-e x 3\n");
  const placed = spawn("sh", ["-c", 'echo "$NODE_CHANNEL_FD $NODE_CHANNEL_SERIALIZATION_MODE"; test -S /proc/self/fd/5 || readlink /proc/self/fd/5'], {
    stdio: ["ignore", "pipe", "inherit", "ignore", "ignore", "ipc"],
  });
  const r2 = await record(placed);
  assert.match(r2.stdout, /^5 json\n/);
  assert.deepEqual(r2.close, [0, null]);
});

test("fork: a child that exits without disconnecting — exit, disconnect, close all come", async () => {
  const child = fork(CHILD, { execPath: NODE });
  const done = record(child);
  await next(child);
  child.send("exit");
  const r = await done;
  assert.deepEqual(r.events.filter((e) => e !== "spawn").sort(), ["close 7 null", "disconnect", "exit 7 null"].sort());
  assert.equal(r.events.at(-1), "close 7 null");
}, 30000);

test("fork: a missing execPath is an error while connected, then its channel's disconnect, and close still comes", async () => {
  const child = fork(CHILD, { execPath: "/aspawn/no/node" });
  let connectedAtError: boolean | undefined;
  child.once("error", () => (connectedAtError = child.connected));
  const r = await record(child);
  assert.equal(r.errors[0]?.message, "spawn /aspawn/no/node ENOENT");
  // As Node (was: no disconnect, and connected false at the error).
  assert.equal(connectedAtError, true);
  assert.ok(r.events.includes("disconnect"), r.events.join(", "));
  assert.equal(child.connected, false);
  assert.equal(typeof child.send, "function");
});

test("send() returns false once the channel is backed up, as Node's (a child that does not read)", async () => {
  const child = spawn("sleep", ["30"], { stdio: ["ignore", "ignore", "ignore", "ipc"] });
  await new Promise((r) => child.once("spawn", r));
  child.on("error", () => {});
  const pad = "z".repeat(2000);
  let firstFalse = -1;
  for (let i = 0; i < 400 && firstFalse < 0; i++) if (!child.send!({ i, pad })) firstFalse = i;
  // Node: after ~64-128 KiB written (the kernel's default buffers full, then 128 KiB queued); was: never.
  assert.ok(firstFalse > 0, `send() never returned false (${firstFalse})`);
  child.kill("SIGKILL");
  await new Promise((r) => child.once("close", r));
});

test("fork: message listeners get Node's two arguments, the message and the (absent) handle", async () => {
  const child = fork(CHILD, { execPath: NODE });
  const args = await new Promise<unknown[]>((resolve) => child.once("message", (...a: unknown[]) => resolve(a)));
  assert.equal(args.length, 2);
  assert.equal(args[1], undefined);
  child.kill("SIGKILL");
  await new Promise((r) => child.once("close", r));
});

test("fork: the default execPath is this runtime, whose child speaks Node's protocol too (Node, Bun, Deno)", async () => {
  // Deno runs a module with `deno run`: its flags go in execArgv.
  const child = fork(CHILD, ["own"], runtime === "deno" ? { execArgv: ["run", "--allow-all"] } : {});
  const done = record(child);
  assert.deepEqual((await next(child)).hello, ["own"]);
  child.send({ x: 1 });
  assert.deepEqual((await next(child)).echo, { x: 1 });
  child.send("disconnect");
  assert.equal((await done).close[0], 5);
}, 30000);

test("fork: send and disconnect exist only on a child with a channel, as in Node (code tests child.send)", async () => {
  const plain = spawn("true");
  assert.equal("send" in plain, false);
  assert.equal(plain.send, undefined);
  assert.equal(plain.connected, false);
  await record(plain);
  const child = fork(CHILD, { execPath: NODE });
  assert.equal(typeof child.send, "function");
  assert.equal(typeof child.disconnect, "function");
  const done = record(child);
  await next(child);
  child.disconnect();
  assert.equal((await done).close[0], 5);
}, 30000);

test("fork: a child killed, timed out or aborted — disconnect before exit, as in Node; channel is null by then", async () => {
  const order = async (options: Parameters<typeof fork>[2], act: (c: ChildProcess) => void) => {
    const child = fork(CHILD, { execPath: NODE, ...options });
    const seen: unknown[] = [];
    child.on("disconnect", () => seen.push(child.channel));
    const done = record(child);
    await next(child);
    act(child);
    const r = await done;
    assert.deepEqual(seen, [null], "channel at disconnect");
    return r.events.filter((e) => e !== "spawn").map((e) => e.split(" ")[0]);
  };
  for (let i = 0; i < 3; i++) assert.deepEqual(await order({}, (c) => c.kill()), ["disconnect", "exit", "close"]);
  assert.deepEqual(await order({}, (c) => c.send("exit")), ["disconnect", "exit", "close"]);
  assert.deepEqual(await order({ timeout: 300 }, () => {}), ["disconnect", "exit", "close"]);
  const ac = new AbortController();
  assert.deepEqual(await order({ signal: ac.signal }, () => ac.abort()), ["error", "disconnect", "exit", "close"]);
}, 30000);

test("fork: subprocess.channel is Node's control object (ref, unref, refCounted, unrefCounted, fd), null once the channel closed", async () => {
  const plain = spawn("true");
  assert.equal(plain.channel, undefined);
  await record(plain);
  const child = fork(CHILD, { execPath: NODE });
  const channel = child.channel as unknown as {
    ref(): void; unref(): void; refCounted(): void; unrefCounted(): void; fd: number; once(e: string, f: () => void): void;
  };
  for (const m of ["ref", "unref", "refCounted", "unrefCounted"] as const) assert.equal(typeof channel[m], "function", m);
  assert.equal(typeof channel.fd, "number");
  assert.ok(channel.fd > 2);
  const warned = new Promise<Error & { code?: string }>((r) => process.once("warning", r));
  assert.equal((child as unknown as { _channel: unknown })._channel, channel);
  // Node's own deprecation of _channel (DEP0129).
  const warning = await warned;
  assert.equal(warning.name, "DeprecationWarning");
  assert.equal(warning.code, "DEP0129");
  // The count falling back to 0 unrefs the channel and says so.
  let unrefs = 0;
  channel.once("unref", () => unrefs++);
  channel.refCounted();
  channel.refCounted();
  channel.unrefCounted();
  assert.equal(unrefs, 0);
  channel.unrefCounted();
  assert.equal(unrefs, 1);
  channel.ref();
  const done = record(child);
  await next(child);
  child.disconnect();
  assert.equal(child.channel, null, "null as soon as disconnect() closes it");
  assert.equal((await done).close[0], 5);
}, 30000);

test("fork: from Deno, a Deno child runs as Deno's own fork starts it (run -A ...): env and fs work", async () => {
  const child = fork(`${repoRoot}test/fixtures/cp-env-child.cjs`, ["arg"], { silent: true });
  const done = record(child);
  const died = done.then((r) => Promise.reject(new Error(`no message; the child said: ${r.stderr}`)));
  const m = await Promise.race([next(child), died]) as { home: string; read: boolean; cmdline: string[] };
  assert.deepEqual([m.home, m.read], ["string", true]);
  if (runtime === "deno") {
    assert.deepEqual(m.cmdline.slice(1, 5), ["run", "-A", "--unstable-bare-node-builtins", "--unstable-detect-cjs"]);
    assert.equal(m.cmdline.at(-1), "arg");
  }
  assert.equal((await done).close[0], 0);
}, 30000);

test("fork: Node's execArgv as Deno reads it (denoForkArgs); Deno's own execArgv as it is", () => {
  const prefix = ["run", "-A", "--unstable-bare-node-builtins", "--unstable-detect-cjs"];
  assert.deepEqual(denoForkArgs([], "m.cjs", ["a"]), [...prefix, "m.cjs", "a"]);
  assert.deepEqual(
    denoForkArgs(["--max-old-space-size=100", "--no-warnings", "--expose-gc", "--require", "x.cjs", "--enable-source-maps", "-C", "dev", "--inspect=0"], "m.cjs", []),
    [...prefix, "--v8-flags=--max-old-space-size=100,--expose-gc", "--quiet", "--conditions=dev", "--inspect=0", "m.cjs"],
  );
  assert.deepEqual(denoForkArgs(["run", "--allow-read"], "m.cjs", ["a"]), ["run", "--allow-read", "m.cjs", "a"]);
});
