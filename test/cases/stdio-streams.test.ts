// stdin/input sources and stdout/stderr sinks of the runtime's own types,
// pumped by the library (src/api/pump.ts): each type through `cat`,
// backpressure, failing sources and sinks, children that stop reading, fds.
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { Duplex, PassThrough, Readable, Writable } from "node:stream";
import { assert, test } from "../adapter.ts";
import { fdList, openFds } from "../fds.ts";
import { runFixture } from "../fixtures.ts";
import { sleep, until, within } from "../wait.ts";
import { run, spawn, StreamError } from "../../src/index.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const dir = mkdtempSync(`${tmpdir()}/aspawn-streams-`);
let n = 0;
const tmp = () => `${dir}/f${n++}`;

/** A web sink that keeps what it is given. */
function collector(): { stream: WritableStream<Uint8Array>; text(): string; closes: number } {
  const chunks: Uint8Array[] = [];
  const c = {
    closes: 0,
    stream: new WritableStream<Uint8Array>({
      write: (chunk) => void chunks.push(chunk.slice()),
      close: () => void c.closes++,
    }),
    text: () => chunks.map((x) => dec.decode(x)).join(""),
  };
  return c;
}

test("streams: every kind of source into cat and back", async () => {
  const buf = Buffer.from("xxbuffer-slice\n").subarray(2); // a view with an offset
  const f = tmp();
  writeFileSync(f, "from a file\n");
  async function* gen() {
    yield "gen ";
    yield enc.encode("bytes ");
    yield new DataView(enc.encode("view\n").buffer);
  }
  const cases: [string, unknown, string][] = [
    ["Uint8Array", enc.encode("héllo\n"), "héllo\n"],
    ["Buffer view", buf, "buffer-slice\n"],
    ["ArrayBuffer", enc.encode("ab\n").buffer, "ab\n"],
    ["Float64Array", new Float64Array([1]), dec.decode(new Float64Array([1]))],
    ["Blob", new Blob(["blob ", enc.encode("parts\n")]), "blob parts\n"],
    ["ReadableStream", new ReadableStream({
      start(c) {
        c.enqueue("web ");
        c.enqueue(enc.encode("stream\n"));
        c.close();
      },
    }), "web stream\n"],
    ["async generator", gen(), "gen bytes view\n"],
    ["array", ["a", enc.encode("b"), "\n"], "ab\n"],
    ["sync generator", (function* () { yield "s"; yield "\n"; })(), "s\n"],
    ["Node Readable", Readable.from(["node ", "readable\n"]), "node readable\n"],
    ["fs.createReadStream", createReadStream(f), "from a file\n"],
    ["empty Uint8Array", new Uint8Array(0), ""],
  ];
  for (const [name, source, want] of cases) {
    const p = spawn("cat", { stdin: source as never });
    assert.equal(p.stdin, null, `${name}: the library writes stdin`);
    assert.equal(await p.text(), want, name);
    assert.equal((await p.exited).exitCode, 0, name);
  }
  // The same through input, on spawn() and run(); a string there is text.
  assert.equal((await run("cat", { input: new Blob(["run blob"]) })).stdout, "run blob");
  assert.equal((await run("cat", { input: "pipe" })).stdout, "pipe");
  assert.equal(await spawn("cat", { input: ["spawn ", "input"] }).text(), "spawn input");
  assert.equal(await spawn("cat", { input: "x", stdin: "pipe" }).text(), "x");
});

test("streams: web and Node sinks get stdout and stderr, closed once after the child's output ends", async () => {
  const out = collector(), err = collector();
  const p = spawn("sh", ["-c", "echo out; echo err >&2"], { stdout: out.stream, stderr: err.stream });
  assert.equal(p.stdout, null);
  assert.equal(p.stderr, null);
  await p.exited;
  // exited waits for the sinks: nothing to poll for.
  assert.equal(out.text(), "out\n");
  assert.equal(err.text(), "err\n");
  assert.equal(out.closes + err.closes, 2);

  const f = tmp();
  await spawn("sh", ["-c", "echo one; echo two >&2"], { stdout: createWriteStream(f), stderr: "ignore" }).exited;
  assert.equal(readFileSync(f, "utf8"), "one\n");

  // One sink for both: closed once, after both ended.
  const both = collector();
  await spawn("sh", ["-c", "echo a; sleep 0.1; echo b >&2"], { stdout: both.stream, stderr: both.stream }).exited;
  assert.equal(both.text(), "a\nb\n");
  assert.equal(both.closes, 1);
  const g = tmp(), ws = createWriteStream(g);
  await spawn("sh", ["-c", "echo a; sleep 0.1; echo b >&2"], { stdio: ["ignore", ws, ws] }).exited;
  assert.equal(readFileSync(g, "utf8"), "a\nb\n");

  // run(): a stream given a sink is left out of the result, as with "inherit".
  const s = collector();
  const r = await run("sh", ["-c", "echo to-sink; echo kept >&2"], { stdout: s.stream });
  assert.deepEqual([r.stdout, r.stderr, s.text()], ["", "kept\n", "to-sink\n"]);
  // text() of a stdout that goes to a sink: a TypeError, not an empty string.
  const t = spawn("echo", ["x"], { stdout: collector().stream });
  await assert.rejects(t.text(), /^TypeError: text\(\): stdout is not a pipe/);
  await t.exited;
});

test("streams: this process's stdout as a sink is written to, never ended", async () => {
  const proc = globalThis.process;
  await spawn("true", { stdout: proc.stdout as never }).exited;
  assert.equal(proc.stdout.writableEnded, false);
  assert.equal(proc.stdout.destroyed, false);
});

test("streams: backpressure — a fast source and a slow sink keep a bounded amount in flight", async () => {
  const total = 8 << 20, chunk = 64 << 10;
  const run1 = async (sink: (onBytes: (n: number) => void) => WritableStream<Uint8Array> | Writable) => {
    let produced = 0, received = 0, maxInFlight = 0;
    async function* fast() {
      for (let i = 0; i < total / chunk; i++) {
        produced += chunk;
        maxInFlight = Math.max(maxInFlight, produced - received);
        yield new Uint8Array(chunk);
      }
    }
    const p = spawn("cat", { stdin: fast(), stdout: sink((n) => (received += n)) as never });
    await p.exited;
    assert.equal(received, total);
    return maxInFlight;
  };
  const slow = () => sleep(2);
  // Kernel pipes (64 KiB in, grown to 1 MiB out), cat's buffer, one chunk
  // read (256 KiB) and the sink's queue: about 2 MiB. Without backpressure
  // at either pump the source would run ~8 MiB ahead of the sink.
  const web = await run1((on) => new WritableStream({ write: async (c) => (await slow(), on(c.length)) }));
  assert.ok(web < 3 << 20, `web sink: ${web} bytes in flight`);
  let maxBuffered = 0;
  const node = await run1((on) =>
    new Writable({
      highWaterMark: 64 << 10,
      write(c: Uint8Array, _e, cb) {
        maxBuffered = Math.max(maxBuffered, this.writableLength);
        void slow().then(() => (on(c.length), cb()));
      },
    })
  );
  assert.ok(node < 3 << 20, `Node sink: ${node} bytes in flight`);
  // The Writable's own buffer stays near its highWaterMark plus one read.
  assert.ok(maxBuffered <= (64 << 10) + (256 << 10), `Node sink buffered ${maxBuffered}`);
});

test("streams: a source that fails stops the child and rejects exited with a StreamError", async () => {
  const boom = new Error("boom");
  async function* failing() {
    yield "partial\n";
    await sleep(20);
    throw boom;
  }
  const out = collector();
  const p = spawn("cat", { stdin: failing(), stdout: out.stream });
  const e = await p.exited.catch((x) => x);
  assert.ok(e instanceof StreamError, String(e));
  assert.equal(e.option, "stdin");
  assert.equal(e.cause, boom);
  assert.equal(e.message, "The stdin source failed (boom): cat");
  // Rejected only once the child was reaped; it was stopped (SIGTERM), not left to act on half its input.
  assert.equal(p.exitStatus?.signal, "SIGTERM");
  assert.equal(out.closes, 1);

  // run() rejects with it too; through input, the option is named input.
  const web = new ReadableStream({
    pull(c) {
      c.error(new Error("web source broke"));
    },
  });
  const r = await run("cat", { input: web }).catch((x) => x);
  assert.ok(r instanceof StreamError);
  assert.equal(r.option, "input");
  assert.match(r.message, /^The input source failed \(web source broke\): cat$/);

  // Something that is not a chunk.
  const bad = await run("cat", { stdio: [[1, 2] as never] }).catch((x) => x);
  assert.ok(bad instanceof StreamError);
  assert.equal(bad.option, "stdio[0]");
  assert.match(bad.message, /a chunk must be a string, an ArrayBufferView or an ArrayBuffer, got 1/);

  // A Node stream that errors.
  const nodeSrc = new Readable({ read() {} });
  const q = spawn("cat", { stdin: nodeSrc, stdout: "ignore" });
  nodeSrc.push("x");
  setTimeout(() => nodeSrc.destroy(new Error("node source broke")), 20);
  const ne = await q.exited.catch((x) => x);
  assert.ok(ne instanceof StreamError && (ne.cause as Error).message === "node source broke", String(ne));
});

test("streams: a sink that errors stops the child and rejects exited with a StreamError", async () => {
  let writes = 0;
  const web = new WritableStream({
    write() {
      if (++writes === 3) throw new Error("disk full");
    },
  });
  const p = spawn("yes", { stdout: web });
  const e = await within(p.exited.catch((x) => x), 10000);
  assert.ok(e instanceof StreamError, String(e));
  assert.equal(e.option, "stdout");
  assert.equal(e.message, "The stdout sink failed (disk full): yes");
  assert.ok(p.exitStatus?.signal === "SIGTERM" || p.exitStatus?.signal === "SIGPIPE", JSON.stringify(p.exitStatus));

  const node = new Writable({ write: (_c, _e, cb) => cb(new Error("node sink broke")) });
  const r = await within(run("sh", ["-c", "yes >&2"], { stderr: node, stdio: [undefined, "ignore", node] }).catch((x) => x), 10000);
  assert.ok(r instanceof StreamError, String(r));
  assert.equal(r.option, "stdio[2]");
  assert.equal((r.cause as Error).message, "node sink broke");
});

test("streams: a sink that fails between writes stops the child at once, not at its next write or its exit", async () => {
  // Each child writes a line and then sleeps: its next write would be 10 s away.
  const quiet = ["-c", "echo yes; exec sleep 10"];
  const stopped = async (p: ReturnType<typeof spawn>, cause: string) => {
    const t0 = Date.now();
    const e = await within(p.exited.then(() => null, (x) => x), 8000);
    assert.ok(e instanceof StreamError, String(e));
    assert.equal((e.cause as Error).message, cause);
    assert.equal(p.exitStatus?.signal, "SIGTERM", JSON.stringify(p.exitStatus));
    assert.ok(Date.now() - t0 < 5000, `stopped after ${Date.now() - t0} ms`);
  };
  // A web sink whose write throws (the stream errors after write() returned).
  await stopped(spawn("sh", quiet, { stdout: new WritableStream({ write() { throw new Error("disk full"); } }) }), "disk full");
  // An async write that rejects later.
  await stopped(spawn("sh", quiet, { stdout: new WritableStream({ write: () => sleep(20).then(() => Promise.reject(new Error("later"))) }) }), "later");
  // A Node stream that fails later: a file that cannot be opened, a callback that errs on a timer.
  const file = createWriteStream(`${dir}/no-such-dir/log.txt`);
  await stopped(spawn("sh", quiet, { stdout: file }), `ENOENT: no such file or directory, open '${dir}/no-such-dir/log.txt'`);
  const late = new Writable({ write: (_c, _e, cb) => void setTimeout(() => cb(new Error("node later")), 20) });
  await stopped(spawn("sh", quiet, { stdout: late }), "node later");
});

test("streams: a source that yields null fails as any chunk that is none (it ended the input, dropping the rest)", async () => {
  for (const input of [["a\n", null, "b\n"], (async function* () { yield "a\n"; yield null; yield "b\n"; })()]) {
    const e = await run("cat", { input: input as never }).then((r) => r, (x) => x);
    assert.ok(e instanceof StreamError, `resolved with ${JSON.stringify(e?.stdout)}`);
    assert.match(e.message, /^The input source failed \(input: a chunk must be a string, an ArrayBufferView or an ArrayBuffer, got null\): cat$/);
  }
  const web = new ReadableStream({ start(c) { c.enqueue(null); c.close(); } });
  assert.ok(await run("cat", { input: web }).then(() => null, (x) => x) instanceof StreamError);
});

test("streams: a source that fails as it is opened (its [Symbol.asyncIterator] throws) is a StreamError, the child stopped", async () => {
  const fds = openFds();
  const src = { [Symbol.asyncIterator]() { throw new Error("no iterator today"); } };
  // spawn() threw this Error after the child existed: cat was left waiting on its stdin, and the process never exited.
  const p = spawn("cat", { stdin: src as never, stdout: "ignore" });
  const e = await within(p.exited.then(() => null, (x) => x), 8000);
  assert.ok(e instanceof StreamError, String(e));
  assert.equal(e.message, "The stdin source failed (no iterator today): cat");
  const r = await run("cat", { input: { [Symbol.iterator]() { throw new Error("nor today"); } } as never }).then(() => null, (x) => x);
  assert.ok(r instanceof StreamError && r.option === "input", String(r));
  assert.ok(await until(() => openFds() <= fds, 2000), `fds ${fds} -> ${openFds()}`);
});

test("streams: a stream that fails inside its own read(), write() or close rejects with its own error, and nothing is thrown later", async () => {
  const causeOf = async (p: Promise<unknown>) => {
    const e = await within(p.then(() => null, (x) => x), 10000);
    assert.ok(e instanceof StreamError, String(e));
    return [e.option, (e.cause as Error)?.message];
  };
  // Node streams destroyed with an error inside _read or _final: 'error' comes a tick later.
  const atOnce = new Readable({ read() { this.destroy(new Error("bad input")); } });
  assert.deepEqual(await causeOf(run("cat", [], { input: atOnce })), ["input", "bad input"]);
  let reads = 0;
  const afterData = new Readable({ read() { if (reads++ === 0) this.push("data"); else this.destroy(new Error("after data")); } });
  assert.deepEqual(await causeOf(run("cat", [], { stdin: afterData })), ["stdin", "after data"]);
  const final = new Writable({ write: (_c, _e, cb) => cb(), final: (cb) => cb(new Error("flush failed")) });
  assert.deepEqual(await causeOf(spawn("echo", ["x"], { stdout: final }).exited), ["stdout", "flush failed"]);
  // A web sink that fails on a short output: errored before we close it.
  const thrower = new WritableStream({ write() { throw new Error("disk full"); } });
  assert.deepEqual(await causeOf(spawn("echo", ["yes"], { stdout: thrower }).exited), ["stdout", "disk full"]);
  const rejecter = new WritableStream({ write: () => Promise.reject(new Error("disk full 2")) });
  assert.deepEqual(await causeOf(spawn("sh", ["-c", "echo e >&2"], { stderr: rejecter }).exited), ["stderr", "disk full 2"]);
  // The deferred 'error' events find a listener: an unheard one would fail this test as uncaught.
  await sleep(100);
});

test("streams: a child that stops reading cancels the source — no error, nothing left open", async () => {
  const base = openFds();
  // Bytes, more than a pipe holds.
  assert.equal((await run("head", ["-c", "1"], { input: new Uint8Array(4 << 20) })).stdout.length, 1);
  // An endless async generator: its finally runs.
  let finished = false;
  async function* endless() {
    try {
      for (;;) yield "y".repeat(65536);
    } finally {
      finished = true;
    }
  }
  assert.equal((await run("head", ["-c", "1"], { stdin: endless() })).stdout, "y");
  assert.ok(await until(() => finished), "the generator was returned");
  // A web stream that would never say anything more: cancelled.
  let cancelled = false;
  const silent = new ReadableStream({
    start(c) {
      c.enqueue("z");
    },
    cancel() {
      cancelled = true;
    },
  });
  assert.equal((await run("head", ["-c", "1"], { stdin: silent })).stdout, "z");
  assert.ok(await until(() => cancelled), "the stream was cancelled");
  // A file stream: destroyed, its fd closed.
  const f = tmp();
  writeFileSync(f, new Uint8Array(4 << 20));
  const rs = createReadStream(f);
  assert.equal((await run("head", ["-c", "1"], { stdin: rs, encoding: "buffer" })).stdout.length, 1);
  assert.ok(await until(() => rs.destroyed), "the ReadStream was destroyed");
  // A child that never reads at all.
  assert.equal((await run("true", { stdin: Readable.from(["a", "b"]) })).exitCode, 0);
  assert.ok(await until(() => openFds() <= base, 5000), `fds left open: ${fdList().join(" ")}`);
});

test("streams: a source read to its end is left alone (a Duplex keeps its writable side)", async () => {
  const written: string[] = [];
  const duplex = new Duplex({
    read() {},
    write: (c: Uint8Array, _e, cb) => (written.push(dec.decode(c)), cb()),
  });
  duplex.push("dup");
  duplex.push(null);
  assert.equal((await run("cat", { stdin: duplex })).stdout, "dup");
  await sleep(20);
  assert.equal(duplex.destroyed, false);
  duplex.write("still open");
  duplex.end();
  assert.deepEqual(written, ["still open"]);
});

test("streams: no fd left after pumping files both ways, failures included", async () => {
  const src = tmp();
  writeFileSync(src, "abc\n".repeat(100000));
  const base = openFds();
  for (let i = 0; i < 5; i++) {
    const out = tmp();
    await spawn("cat", { stdin: createReadStream(src), stdout: createWriteStream(out) }).exited;
    assert.equal(readFileSync(out, "utf8").length, 400000);
    await spawn("cat", { stdin: (async function* () {
      yield "a";
      throw new Error("x");
    })(), stdout: "ignore" }).exited.catch(() => {});
    await spawn("yes", { stdout: new Writable({ write: (_c, _e, cb) => cb(new Error("y")) }) }).exited.catch(() => {});
  }
  // A file stream closes its fd a moment after 'finish'.
  assert.ok(await until(() => openFds() <= base, 5000), `fds left open: ${base} -> ${openFds()}: ${fdList().join(" ")}`);
});

test("streams: a sink that never takes the output does not keep exited pending past timeout and forceKillAfter", async () => {
  // Before the count: the fds a runtime opens once, at its first timed-out child with a sink (Bun: a pipe).
  await spawn("sleep", ["30"], { stdout: new Writable({ write: (_c, _e, cb) => cb() }), timeout: 50 }).exited;
  const base = openFds();
  // A web sink whose first write never settles, and a Node one that never calls back.
  const web = new WritableStream<Uint8Array>({ write: () => new Promise<void>(() => {}) }, { highWaterMark: 1 });
  const node = new Writable({ highWaterMark: 1, write: () => {} });
  // And two that take every write but never finish closing.
  const webClose = new WritableStream<Uint8Array>({ close: () => new Promise<void>(() => {}) });
  const nodeFinal = new Writable({ write: (_c, _e, cb) => cb(), final: () => {} });
  for (const [sink, name] of [[web, "web"], [node, "node"], [webClose, "web close"], [nodeFinal, "node final"]] as const) {
    const t0 = performance.now();
    const p = spawn("sh", ["-c", "yes | head -c 1000000; exec sleep 30"], { stdout: sink, timeout: 200, forceKillAfter: 300 });
    const s = await within(p.exited.then((x) => x, (e) => e), 8000);
    assert.notEqual(s, "timeout", `${name}: exited still pending 8 s after a 200 ms timeout`);
    assert.equal((s as { signal?: unknown }).signal, "SIGTERM", `${name}: ${String(s)}`);
    const ms = performance.now() - t0;
    assert.ok(ms >= 450 && ms < 5000, `${name}: settled after ${ms.toFixed(0)} ms (timeout 200 + forceKillAfter 300)`);
  }
  // (A web sink is aborted too, but its abort() runs only once its pending write settles: the streams standard.)
  assert.ok(node.destroyed, "the stuck Node sink is destroyed");
  // run() with a stuck sink rejects as timed out, and the pipe is closed.
  const r = await within(run("sh", ["-c", "yes | head -c 1000000; exec sleep 30"], { stdout: new Writable({ highWaterMark: 1, write: () => {} }), timeout: 200, forceKillAfter: 300 }).catch((e) => e), 8000);
  assert.equal((r as { timedOut?: unknown }).timedOut, true, String(r));
  assert.ok(await until(() => openFds() <= base, 5000), `fds left open: ${base} -> ${openFds()}: ${fdList().join(" ")}`);
});

test("streams: giving up on a stuck sink spares the sinks that have everything, and only follows a stop", async () => {
  // stdout's sink has everything (ended) when stderr's is given up: it is left whole, its data readable.
  const pass = new PassThrough();
  const stuck = new Writable({ highWaterMark: 1, write: () => {}, destroy: (_e, cb) => cb(new Error("destroy failed")) });
  const s = await within(spawn("sh", ["-c", "echo hello-out; head -c 200000 /dev/zero >&2; exec sleep 30"], { stdout: pass, stderr: stuck, timeout: 200, forceKillAfter: 300 }).exited, 8000);
  assert.equal((s as { signal?: unknown }).signal, "SIGTERM", String(s));
  assert.equal(pass.destroyed, false, "the finished sink was destroyed");
  assert.equal(String(pass.read()), "hello-out\n");
  assert.ok(stuck.destroyed, "the stuck sink is destroyed (its _destroy error is heard, not thrown)");
  // A child that exits by itself with every sink served: a later timeout gives nothing up.
  const pass2 = new PassThrough();
  const p = spawn("sh", ["-c", "echo hi; sleep 1 >&2 &"], { stdout: pass2, stderr: "pipe", timeout: 100, forceKillAfter: 100 });
  void p.stderr!.getReader().read(); // a descendant holds stderr: the timeout still matters for it
  assert.equal((await within(p.exited, 8000) as { exitCode?: unknown }).exitCode, 0);
  await sleep(400); // past timeout + forceKillAfter
  assert.equal(pass2.destroyed, false, "a sink of a child that exited by itself was given up");
  assert.equal(String(pass2.read()), "hi\n");
  // A sink that never finishes closing, of a child that exited by itself: `timeout` ends the wait.
  const never = new WritableStream<Uint8Array>({ close: () => new Promise<void>(() => {}) });
  const t0 = performance.now();
  const q = spawn("echo", ["x"], { stdout: never, timeout: 200, forceKillAfter: 200 });
  assert.equal((await within(q.exited, 8000) as { exitCode?: unknown }).exitCode, 0, "exited still pending");
  assert.ok(performance.now() - t0 >= 350, "settled before timeout + forceKillAfter");
  // And so does disposing of it, without a timeout.
  const r = spawn("echo", ["x"], { stdout: new WritableStream<Uint8Array>({ close: () => new Promise<void>(() => {}) }), forceKillAfter: 200 });
  await sleep(100);
  assert.notEqual(await within(r[Symbol.asyncDispose](), 8000), "timeout", "asyncDispose still pending");
  await sleep(100); // the destroy error, had it been unheard, would fail this test as uncaught
});

test("streams: bad values are TypeErrors naming the option written, describing the value", async () => {
  const rs = createReadStream("/etc/hostname");
  const cases: [() => unknown, RegExp][] = [
    // The Node stream is described, not dumped.
    [() => spawn("cat", { stdout: rs as never }), /^stdout must be "pipe", "inherit", "ignore", "stderr", an fd number, \{ file \}, a WritableStream or a Node Writable, got a ReadStream$/],
    [() => spawn("cat", { stdin: createWriteStream(tmp()) as never }), /^stdin must be .* got a WriteStream$/],
    [() => spawn("cat", { stdin: {} as never }), /^stdin must be .*, got an object$/],
    [() => spawn("cat", { stdin: "hello" as never }), /^stdin must be .*, got "hello" \(text for the child's stdin goes in `input`\)$/],
    [() => spawn("cat", { stdio: [10n as never] }), /^stdio\[0\] must be .*, got 10n$/],
    [() => spawn("cat", { stderr: "x".repeat(1000) as never }), /^stderr must be .*, got "x{40}"… \(1000 characters\)$/],
    [() => spawn("cat", { stdio: ["ignore", "pipe", "inherit", rs as never] }), /^stdio\[3\] must be "pipe", "inherit", "ignore", null, an fd number, \{ file \} or \{ child: n \}, got a ReadStream$/],
    [() => spawn("cat", { input: 5 as never }), /^input must be a string, .* got 5$/],
    [() => spawn("cat", { input: "x", stdin: "inherit" }), /^input and stdin cannot both be given/],
    [() => spawn("cat", { input: "x", stdio: [0] }), /^input and stdio\[0\] cannot both be given/],
  ];
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  cases.push([() => spawn("cat", { stdout: circular as never }), /got an object$/]);
  cases.push([() => spawn("cat", { stdout: new Map() as never }), /got a Map$/]);
  cases.push([() => spawn("cat", { stdout: [1, 2] as never }), /got an array of 2$/]);
  cases.push([() => spawn("cat", { stdout: Symbol("s") as never }), /got a symbol$/]);
  const locked = new ReadableStream();
  locked.getReader();
  cases.push([() => spawn("cat", { stdin: locked }), /^stdin: the ReadableStream is locked/]);
  const wlocked = new WritableStream();
  wlocked.getWriter();
  cases.push([() => spawn("cat", { stdout: wlocked }), /^stdout: the WritableStream is locked/]);
  const ended = new Writable({ write: (_c, _e, cb) => cb() });
  ended.end();
  cases.push([() => spawn("cat", { stderr: ended }), /^stderr: the Node stream is not writable \(ended, or read-only\)$/]);
  for (const [call, message] of cases) {
    let e: unknown;
    try {
      const p = call() as { kill?(): void };
      p.kill?.();
    } catch (x) {
      e = x;
    }
    assert.ok(e instanceof TypeError, `${message}: ${String(e)}`);
    assert.match(e.message, message);
  }
  rs.destroy();
  // One web stream feeds one child: the second spawn finds it locked.
  const once = new ReadableStream({ start: (c) => c.close() });
  const first = spawn("cat", { stdin: once });
  assert.throws(() => spawn("cat", { stdin: once }), /^TypeError: stdin: the ReadableStream is locked/);
  assert.equal(await first.text(), "");
});

test("streams: another child's unread stdout still goes by the kernel pipe", async () => {
  const a = spawn("echo", ["handed over"]);
  const b = spawn("cat", { stdin: a.stdout! });
  assert.equal(await b.text(), "handed over\n");
  // A stream of ours that is not another child's: pumped like any.
  const c = spawn("echo", ["pumped"]);
  const d = spawn("cat", { stdin: c.stdout!.pipeThrough(new TransformStream()) });
  assert.equal(await d.text(), "pumped\n");
});

test("streams: cleanup", () => {
  rmSync(dir, { recursive: true, force: true });
});

test("streams: a child gone into a stalled sink, with a timeout: the timeout keeps the process alive and gives the sink up", async () => {
  // Before: the process exited (Node: code 13, a pending top-level await) with run() and exited unsettled.
  const r = await runFixture("stuck-sink-exit", [], { timeoutMs: 20000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /run: Command timed out after 200 ms/);
  assert.match(r.stdout, /spawn: exit code 0 after \d+ ms/);
  // unref() after the exit lets it go: the timeout (5 s) no longer holds it.
  const u = await runFixture("stuck-sink-exit", ["unref"], { timeoutMs: 20000 });
  assert.equal(u.code, 0, u.stdout + u.stderr);
  const ms = Number(/exit after (\d+) ms/.exec(u.stdout)?.[1]);
  assert.ok(ms >= 300 && ms < 3000, u.stdout);
}, 30000);
