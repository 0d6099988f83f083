// The pre-forked HTTP server of issue 17, both ways: (a) the parent opens a
// listening socket on 127.0.0.1 and hands it to N workers, which accept on
// it; (b) the parent accepts (asp_accept) and hands each connection's fd to
// a pool worker. 2 000 requests, 16 at a time, all answered, by more than
// one worker, and no fd or process left. (examples/prefork-http.ts)
import http from "node:http";
import net from "node:net";
import { Event } from "../../src/ffi/abi.ts";
import { getChannel } from "../../src/ffi/channel.ts";
import { loadNative } from "../../src/ffi/load.ts";
import { runtime } from "../../src/ffi/runtime.ts";
import { Readiness } from "../../src/api/readiness.ts";
import { pool, worker } from "../../src/index.ts";
import { assert, test } from "../adapter.ts";
import { fdOfListener } from "../fds.ts";
import { BIN, baseline, fixtureFor, noLeftovers, type Kind } from "../worker-kinds.ts";

const native = loadNative();
const REQUESTS = 2000, CONCURRENT = 16;

/** A listening socket on 127.0.0.1 as a plain fd of ours (the runtime's server is closed; the fd keeps it). */
async function listeningFd(): Promise<{ fd: number; port: number }> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  const fd = native.asp_dup(fdOfListener(port)!);
  await new Promise((r) => server.close(r));
  assert.ok(fd > 2);
  return { fd, port };
}

/** The load: each response body is the pid of the worker that answered. */
async function load(port: number): Promise<Map<string, number>> {
  const agent = new http.Agent({ keepAlive: false, maxSockets: CONCURRENT });
  const byPid = new Map<string, number>();
  let next = 0;
  const one = () => new Promise<void>((resolve, reject) => {
    http.get({ host: "127.0.0.1", port, path: "/", agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => {
        if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
        byPid.set(body, (byPid.get(body) ?? 0) + 1);
        resolve();
      });
    }).on("error", reject);
  });
  await Promise.all(Array.from({ length: CONCURRENT }, async () => {
    while (next++ < REQUESTS) await one();
  }));
  agent.destroy();
  return byPid;
}

function checkSpread(byPid: Map<string, number>, pids: number[]) {
  let total = 0;
  for (const [pid, n] of byPid) {
    assert.ok(pids.includes(Number(pid)), `answered by ${pid}, not a worker`);
    total += n;
  }
  assert.equal(total, REQUESTS);
  assert.ok(byPid.size >= 2, `spread over the workers: ${JSON.stringify([...byPid])}`);
}

test(`prefork http (${runtime} → ${runtime}): workers accept on the listening socket the parent hands them`, async () => {
  const fds = await baseline();
  const { fd, port } = await listeningFd();
  const module = await fixtureFor(runtime, "http-worker");
  const workers = Array.from({ length: 3 }, () => worker(module, { runtime: BIN[runtime] }));
  const pids = await Promise.all(workers.map((w) => w.call("listen", [], { fds: [fd] }))) as number[];
  native.asp_close(fd); // the workers have theirs
  checkSpread(await load(port), pids);
  await Promise.all(workers.map((w) => w.close()));
  await noLeftovers(fds);
}, 180_000);

// Bun's node:net cannot adopt a connected fd: a Bun parent hands connections to Deno workers.
const handler: Kind = runtime === "bun" ? "deno" : runtime;

test(`prefork http (${runtime} → ${handler}): the parent accepts and hands each connection to a pool worker`, async () => {
  const fds = await baseline();
  const { fd, port } = await listeningFd();
  native.asp_set_nonblock(fd, 1);
  const p = pool(await fixtureFor(handler, "http-worker"), { runtime: BIN[handler], size: 3, min: 3 });
  const pids = p.pids;
  const ready = new Readiness(getChannel(), fd);
  let stop = false;
  const handled: Promise<unknown>[] = [];
  const acceptLoop = (async () => {
    while (!stop) {
      const c = native.asp_accept(fd);
      if (c === -11) {
        await ready.wait(Event.IN);
        continue;
      }
      assert.ok(c > 2, `accept: ${c}`);
      handled.push(p.call("handle", [], { fds: [c] }).finally(() => native.asp_close(c)));
    }
  })();
  const byPid = await load(port);
  stop = true;
  ready.release(); // wakes the loop, which ends
  await acceptLoop;
  native.asp_close(fd);
  await Promise.all(handled);
  checkSpread(byPid, pids);
  await p.close();
  await noLeftovers(fds);
}, 180_000);
