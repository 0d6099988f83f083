// socketFromFd() on every runtime, Bun included (an FdSocket there: a
// Duplex through the library's reactor, since Bun's node:net cannot adopt
// a connected fd): a socket passed to a worker is read and answered, and
// the parent's end is a socketFromFd() too.
import { closeSync, openSync } from "node:fs";
import { runtime } from "../../src/ffi/runtime.ts";
import { loadNative } from "../../src/ffi/load.ts";
import { socketFromFd } from "../../src/index.ts";
import { assert, test } from "../adapter.ts";
import { baseline, kinds, noLeftovers, start } from "../worker-kinds.ts";

function socketPair(): [number, number] {
  const pair = new Int32Array(2);
  assert.equal(loadNative().asp_socketpair(new Uint8Array(pair.buffer), 0), 0);
  return [pair[0]!, pair[1]!];
}

/** Everything the socket gives until its end. */
function readAll(socket: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    socket.on("data", (c) => (text += String(c)));
    socket.on("error", reject);
    socket.on("end", () => resolve(text));
  });
}

for (const kind of kinds) {
  const on = `socketFromFd (${runtime} → ${kind})`;

  test(`${on}: a socket passed with a call is read and answered by the worker's socketFromFd`, async () => {
    const fds = await baseline(kind);
    const w = await start(kind);
    for (let i = 0; i < 3; i++) {
      const [ours, theirs] = socketPair();
      const call = w.call("shout", [], { fds: [theirs] });
      loadNative().asp_close(theirs); // the worker has its own now
      const socket = socketFromFd(ours);
      const closed = new Promise((r) => socket.once("close", r));
      const answer = readAll(socket);
      // A line larger than a socket buffer, so that writes wait for room.
      const line = `hello ${i} ${"x".repeat(300_000)}\n`;
      socket.write(line);
      assert.equal(await call, line);
      assert.equal(await answer, line.toUpperCase());
      await closed; // at the end of the answer it ends our side too (allowHalfOpen false), and closes
    }
    await w.close();
    await noLeftovers(fds);
  }, 60000);
}

test(`socketFromFd (${runtime}): bad fds are TypeErrors; a closed fd fails`, async () => {
  assert.throws(() => socketFromFd(-1), /socketFromFd: fd must be a non-negative integer, got -1/);
  assert.throws(() => socketFromFd("3" as never), /socketFromFd: fd must be a non-negative integer, got "3"/);
  const [a, b] = socketPair();
  loadNative().asp_close(a);
  loadNative().asp_close(b);
  const error = await new Promise<unknown>((resolve) => {
    try {
      const s = socketFromFd(a);
      s.on("error", resolve);
      s.on("close", () => resolve(null));
      s.resume();
    } catch (e) {
      resolve(e);
    }
  });
  // EBADF (Bun: the FdSocket's fcntl; Deno), or Node's "Unsupported fd type".
  assert.ok(error instanceof Error, `an error, got ${error}`);
  assert.match(String((error as { code?: string }).code), /EBADF|ERR_INVALID_FD_TYPE/, String(error));
  // A file is no socket, on Bun too (before: an FdSocket over it).
  const file = openSync("/dev/null", "r");
  try {
    assert.throws(() => socketFromFd(file), (e: Error & { code?: string }) => e.code === "ERR_INVALID_FD_TYPE");
  } finally {
    closeSync(file);
  }
});
