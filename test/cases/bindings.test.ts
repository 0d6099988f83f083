// The FFI layer on each runtime: symbols, wake-ups, idle exit, unloading.
import { assert, test } from "../adapter.ts";
import { Abi, Event, StatusRecord, WaitResult } from "../../src/ffi/abi.ts";
import { getChannel } from "../../src/ffi/channel.ts";
import { loadNative, symbolNames } from "../../src/ffi/load.ts";
import { runFixture } from "../fixtures.ts";
import { spawnRaw } from "../raw.ts";

test("bindings: every symbol of the table resolves", () => {
  const native = loadNative();
  for (const name of symbolNames) assert.equal(typeof native[name], "function", name);
  assert.equal(native.asp_version(), Abi.VERSION);
  assert.ok(native.asp_capabilities() > 0);
});

test("bindings: wake-ups for a status pipe, a pidfd and a stdout pipe", async () => {
  const native = loadNative(), channel = getChannel();
  const child = spawnRaw("/bin/sh", ["-c", "echo hi; sleep 0.05"]);
  const chunks: number[] = [];
  const buf = new Uint8Array(64);
  const status = new Promise<number>((resolve) =>
    channel.watch(child.status, Event.IN, () => resolve(native.asp_status_read(child.status, new Uint8Array(StatusRecord.SIZE))))
  );
  const exited = new Promise<number>((resolve) =>
    channel.watch(child.pidfd, Event.IN, () => resolve(native.asp_wait(child.pidfd, child.pid, new Uint8Array(WaitResult.SIZE))))
  );
  const eof = new Promise<void>((resolve) => {
    const id = channel.watch(child.stdout, Event.IN, function onReady() {
      for (;;) {
        const n = native.asp_read(child.stdout, buf, buf.length);
        if (n > 0) chunks.push(...buf.subarray(0, n));
        else if (n === 0) return resolve();
        else return channel.rearm(id, Event.IN); // -EAGAIN: wait for more
      }
    });
  });
  assert.equal(await status, 0, "EOF on the status pipe: exec succeeded");
  assert.equal(await exited, 1, "reaped");
  await eof;
  assert.equal(new TextDecoder().decode(new Uint8Array(chunks)), "hi\n");
  for (const fd of [child.status, child.pidfd, child.stdout]) assert.equal(native.asp_close(fd), 0);
});

test("bindings: a script awaiting a child stays alive for it, then exits by itself", async () => {
  const r = await runFixture("await-child", ["400"]);
  assert.equal(r.code, 0, r.stderr);
  const m = /exited 1 after (\d+) ms/.exec(r.stdout);
  assert.ok(m, r.stdout + r.stderr);
  assert.ok(Number(m![1]) >= 390, `child awaited: ${m![1]} ms`);
  // Idle exit: the process ends within a second of its last output.
  assert.ok(r.ms - r.lastOutputMs < 1000, `exited ${r.ms - r.lastOutputMs} ms after its last output`);
}, 30000);

test("bindings: exiting while the reactor is busy never crashes (20 runs)", async () => {
  for (let i = 0; i < 20; i++) {
    const r = await runFixture("busy-exit");
    assert.equal(r.signal, null, r.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /read some output/);
  }
}, 120000);

test("bindings: an ASPAWN_LIBRARY that does not load is named as the cause", async () => {
  const r = await runFixture("missing-lib", [], { env: { ASPAWN_LIBRARY: "/nonexistent/libaspawn.so" } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^LibraryLoadError\n/);
  assert.match(r.stdout, /cannot load libaspawn\.so on (node|bun|deno) \(linux-(x64|arm64)\)/);
  assert.match(r.stdout, /\nASPAWN_LIBRARY=\/nonexistent\/libaspawn\.so could not be loaded: /);
  assert.match(r.stdout, /or unset it to use the prebuilt library/);
  assert.doesNotMatch(r.stdout, /Set ASPAWN_LIBRARY/); // not advice to set what is set
});

test("bindings: ASPAWN_TRACE=1 logs every native call with its result", async () => {
  const r = await runFixture("trace", [], { env: { ASPAWN_TRACE: "1" } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^aspawn: asp_close\(-1\) = -9$/m);
  const quiet = await runFixture("trace");
  assert.doesNotMatch(quiet.stderr, /aspawn:/);
});

test("bindings: a captured echo makes at most 5 native calls, spawn + exited at most 4, an output and its end read in one", async () => {
  // spawn, a read that arms, a read of the bytes that sees EOF and closes,
  // the reap that reads the status pipe and closes both: 13-15 and 10 calls
  // before they were fused (fused.c), 8 and 6 before the read went on to
  // EOF and the reap read the status pipe.
  const r = await runFixture("native-calls", [], { env: { ASPAWN_TRACE: "1" } });
  assert.equal(r.code, 0, r.stderr);
  const { echo, true: exited, closed } = r.json;
  assert.ok(echo >= 4 && echo <= 5, `echo: ${echo} native calls\n${r.stderr}`);
  assert.ok(exited >= 3 && exited <= 4, `true: ${exited} native calls\n${r.stderr}`);
  // The spawn, a read that arms, the read of the bytes that goes on to see
  // the pipe's end while the child runs on (a drain reads on after a short
  // read at once anyway: 6 calls when the end took one of its own), the
  // exec's report, the reap.
  assert.ok(closed >= 4 && closed <= 5, `closed: ${closed} native calls\n${r.stderr}`);
}, 60000);
