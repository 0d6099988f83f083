// A pre-forked HTTP server with aspawn workers, both ways (issue 17), run
// from a checkout of this repository (the parent side uses the library's
// internals: no runtime but Node exposes a listening socket's fd):
//   bun examples/prefork-http.ts listen   the workers accept on our listening socket
//   bun examples/prefork-http.ts handoff  we accept and hand each connection to a pool worker
// The workers' module is test/fixtures/http-worker.ts (answers with its pid;
// with the package installed, import { parent, serverFromFd, socketFromFd }
// from "aspawn/worker"). Bun runs it as is; Node and Deno resolve "aspawn"
// to the build (npm run build first).
import net from "node:net";
import { pool, worker } from "aspawn";
import { Event } from "../src/ffi/abi.ts";
import { getChannel } from "../src/ffi/channel.ts";
import { loadNative } from "../src/ffi/load.ts";
import { Readiness } from "../src/api/readiness.ts";
import { fdOfListener } from "../test/fds.ts";

const module = new URL("../test/fixtures/http-worker.ts", import.meta.url);
const native = loadNative();

// A listening socket as a plain fd: Deno's and Bun's node:net expose no fd,
// so it is found through /proc and duplicated; the runtime's server is closed.
const server = net.createServer();
await new Promise<void>((r) => server.listen(8080, "127.0.0.1", r));
const fd = native.asp_dup(fdOfListener(8080)!);
await new Promise((r) => server.close(r));

if (process.argv.includes("handoff")) {
  const p = pool(module, { size: 4, min: 4 });
  native.asp_set_nonblock(fd, 1);
  const ready = new Readiness(getChannel(), fd);
  for (;;) {
    const conn = native.asp_accept(fd);
    if (conn === -11) await ready.wait(Event.IN); // EAGAIN: none waiting
    else if (conn >= 0) void p.call("handle", [], { fds: [conn] }).finally(() => native.asp_close(conn));
  }
} else {
  const workers = Array.from({ length: 4 }, () => worker(module));
  await Promise.all(workers.map((w) => w.call("listen", [], { fds: [fd] })));
  native.asp_close(fd); // the workers have theirs
  console.log("4 workers accept on http://127.0.0.1:8080/");
  await Promise.all(workers.map((w) => w.exited));
}
