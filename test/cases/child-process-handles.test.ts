// aspawn/child_process: send(message, handle) with an unmodified Node child
// (test/fixtures/cp-handle-child.cjs), Node's NODE_HANDLE protocol both
// ways: a listening server and an accepted socket to the child, a socket
// from the child, the messages after a handle kept in order.
import net from "node:net";
import { type ChildProcess, fork, spawn } from "../../src/child_process/index.ts";
import { runtime } from "../../src/ffi/runtime.ts";
import { assert, test } from "../adapter.ts";
import { repoRoot } from "../repo-root.ts";

const CHILD = `${repoRoot}test/fixtures/cp-handle-child.cjs`;
const NODE = "/usr/bin/node";

type Message = Record<string, unknown>;

function next(child: ChildProcess, key: string): Promise<[Message, unknown]> {
  return new Promise((resolve) => {
    const on = (m: Message, handle: unknown) => {
      if (!(key in m)) return;
      child.removeListener("message", on);
      resolve([m, handle]);
    };
    child.on("message", on);
  });
}

async function started(): Promise<ChildProcess> {
  const child = fork(CHILD, { execPath: NODE });
  await next(child, "ready");
  return child;
}

async function finish(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.send({ do: "exit" });
  assert.equal(await exited, 0);
}

const listening = (server: net.Server) => new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)));

function readAll(port: number, write?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = "";
    const c = net.connect(port, "127.0.0.1", () => write && c.write(write));
    c.on("data", (d) => (got += d)).on("end", () => resolve(got)).on("error", reject);
  });
}

/** Where the runtime's net objects have no fd to send (Deno), send() says so before anything is written. */
async function unsupportedHere(): Promise<boolean> {
  if (runtime !== "deno") return false;
  const child = await started();
  const server = net.createServer();
  await listening(server);
  assert.throws(() => child.send({ do: "serve" }, server), (e: Error & { code?: string }) =>
    e.code === "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM" && /passing a handle with send\(\) needs the fd of deno's net or dgram object/.test(e.message));
  server.close();
  await finish(child);
  return true;
}

test("send(msg, server): the Node child accepts a loopback connection on the parent's listening server", async () => {
  if (await unsupportedHere()) return;
  const child = await started();
  const server = net.createServer((s) => s.end("parent accepted\n"));
  const port = await listening(server);
  child.send({ do: "serve" }, server);
  const [m] = await next(child, "serving");
  assert.deepEqual(m, { serving: true, port });
  // Close ours: from now on only the child accepts on the port.
  await new Promise((resolve) => server.close(resolve));
  assert.equal(await readAll(port), `child ${child.pid} accepted\n`);
  await finish(child);
}, 30000);

test("send(msg, socket): an accepted socket goes to the child, which answers the client; the parent's copy closes after the ACK", async () => {
  if (await unsupportedHere()) return;
  const child = await started();
  const accepted: net.Socket[] = [];
  const server = net.createServer((s) => {
    accepted.push(s);
    child.send({ do: "write" }, s);
  });
  const port = await listening(server);
  const reply = readAll(port);
  const [m] = await next(child, "wrote");
  assert.deepEqual(m, { wrote: true });
  // The end comes only once the parent closed its copy (after the ACK).
  assert.equal(await reply, `child ${child.pid} wrote\n`);
  // Not keepOpen: the socket gave its handle away, as in Node.
  assert.equal((accepted[0] as unknown as { _handle: unknown })._handle, null);
  server.close();
  await finish(child);
}, 30000);

test("send(msg, socket, { keepOpen: true }): the parent keeps its copy and can still write to the client", async () => {
  if (await unsupportedHere()) return;
  const child = await started();
  const server = net.createServer((s) => {
    child.send({ do: "write" }, s, { keepOpen: true }, (e) => {
      assert.equal(e, null);
      next(child, "wrote").then(() => s.end("parent too\n"));
    });
  });
  const port = await listening(server);
  const got = await readAll(port);
  // The child wrote, closed its copy; then the parent wrote and ended.
  assert.equal(got, `child ${child.pid} wrote\nparent too\n`);
  server.close();
  await finish(child);
}, 30000);

test("messages after a handle wait for its acknowledgement and arrive in order; send() returns false past the first waiting", async () => {
  if (await unsupportedHere()) return;
  const child = await started();
  const server = net.createServer();
  const port = await listening(server);
  const client = net.connect(port, "127.0.0.1");
  const socket = await new Promise<net.Socket>((resolve) => server.once("connection", resolve));
  const orders: Message[] = [];
  const all = new Promise<void>((resolve) => child.on("message", (m: Message) => {
    if ("order" in m && orders.push(m) === 4) resolve();
  }));
  assert.equal(child.send({ do: "order", n: 1 }, socket), true);
  assert.equal(child.send({ do: "order", n: 2 }), true, "the first to wait for the ACK");
  assert.equal(child.send({ do: "order", n: 3 }), false, "the second: back off");
  assert.equal(child.send({ do: "order", n: 4 }), false);
  await all;
  assert.deepEqual(orders, [
    { order: 1, handle: "Socket" },
    { order: 2, handle: "none" },
    { order: 3, handle: "none" },
    { order: 4, handle: "none" },
  ]);
  client.destroy();
  server.close();
  await finish(child);
}, 30000);

test("a socket from the child (process.send(msg, socket)) arrives as a net.Socket, the message's second argument", async () => {
  const child = await started();
  const peer = next(child, "peerGot");
  const warned = new Promise<Error>((resolve) => process.once("warning", resolve));
  child.send({ do: "give" });
  const [m, socket] = await next(child, "given");
  assert.deepEqual(m, { given: true });
  if (runtime !== "node") {
    // Bun's and Deno's net cannot take the fd: the message comes without it, a warning says so, the fd is closed.
    assert.equal(socket, undefined);
    assert.match((await warned).message, new RegExp(`a net.Socket received over the IPC channel was closed: ${runtime}'s net`));
    assert.deepEqual((await peer)[0], { peerGot: "" });
    return finish(child);
  }
  assert.ok(socket instanceof net.Socket, "a net.Socket");
  const s = socket as net.Socket;
  assert.equal(s.remoteAddress, "127.0.0.1");
  s.end("pong\n");
  assert.deepEqual((await peer)[0], { peerGot: "pong\n" });
  await finish(child);
}, 30000);

test("send() with a handle of no sendable type is ERR_INVALID_HANDLE_TYPE, thrown before anything is written", async () => {
  const child = await started();
  for (const bad of [{}, new Date(), [1]]) {
    assert.throws(() => child.send("x", bad as never), (e: Error & { code?: string }) => e.code === "ERR_INVALID_HANDLE_TYPE");
  }
  child.send({ do: "order", n: 9 });
  assert.deepEqual((await next(child, "order"))[0], { order: 9, handle: "none" });
  await finish(child);
}, 30000);

test("a socket sent to a child that never acknowledges is closed here when the channel ends (no fd kept)", async () => {
  if (await unsupportedHere()) return;
  // sleep holds the channel and reads nothing: no ACK ever comes.
  const child = spawn("sleep", ["30"], { stdio: ["ignore", "ignore", "ignore", "ipc"] });
  const server = net.createServer((s) => {
    child.send("take it", s);
    setTimeout(() => child.kill("SIGKILL"), 200);
  });
  // Listened for from the start: "close" may come before the client's end.
  const closed = new Promise((resolve) => child.once("close", resolve));
  const port = await listening(server);
  // The client sees the end only once every copy is closed: the child's in
  // flight (the kernel drops it with the channel) and the parent's.
  assert.equal(await readAll(port), "");
  await closed;
  server.close();
}, 30000);
