/**
 * The portable backend: children started by the runtime's own API
 * (node:child_process, Bun.spawn, Deno.Command) where the native library
 * cannot run — another OS or CPU, musl libc, FFI refused — or when
 * ASPAWN_BACKEND=portable asks for it. Options that need the native core
 * are TypeErrors (plan.ts).
 */
import type { Backend, ChildRequest, SyncRequest } from "../api/child.ts";
import type { RuntimeName } from "../ffi/runtime.ts";
import { target } from "../ffi/locate.ts";
import * as bun from "./bun.ts";
import * as deno from "./deno.ts";
import * as node from "./node.ts";
import { closedFd, NeverStarted } from "./child.ts";
import { portablePlan, portableWhere } from "./plan.ts";

export function portableBackend(runtime: RuntimeName, reason: string): Backend {
  const rt = { bun, deno, node }[runtime];
  const why = `${target()}: ${reason}`;
  return {
    name: "portable",
    start(request: ChildRequest) {
      const plan = portablePlan(request, rt.support, why);
      const bad = closedFd(plan);
      if (bad) return new NeverStarted(plan, bad);
      const child = rt.start(plan);
      if (request.killAtOnce) child.kill(request.killAtOnce);
      return child;
    },
    check(request: ChildRequest) {
      portablePlan(request, rt.support, why);
    },
    runSync(request: SyncRequest) {
      const plan = portablePlan(request, rt.support, why);
      const bad = closedFd(plan);
      if (bad) throw bad;
      return rt.runSync(plan, request, portableWhere(rt.support, why));
    },
  };
}

/** "the portable backend (Node; linux-x64: reason)", as this runtime's refusals name it. */
export function portableWhereHere(runtime: RuntimeName, reason: string): string {
  return portableWhere({ bun, deno, node }[runtime].support, `${target()}: ${reason}`);
}
