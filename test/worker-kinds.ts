/**
 * Worker tests on every runtime: which runtimes a worker runs on (the
 * runner's own and one other: Node → Bun, Bun → Deno, Deno → Node), the
 * fixture module for each, and checks that nothing is left behind.
 */
import { runtime } from "../src/ffi/runtime.ts";
import { worker, type WorkerOptions } from "../src/index.ts";
import { bundleFixture } from "./bundle.ts";
import { openFds } from "./fds.ts";
import { childrenOfUs, cmdline, zombieChildren } from "./proc.ts";
import { repoRoot } from "./repo-root.ts";
import { assert } from "./adapter.ts";
import { until } from "./wait.ts";
import { buildWorkerHost } from "./worker-host.ts";

export const BIN = { node: "/usr/bin/node", bun: `${repoRoot}node_modules/.bin/bun`, deno: `${repoRoot}node_modules/.bin/deno` } as const;
export type Kind = keyof typeof BIN;
export const other: Kind = runtime === "node" ? "bun" : runtime === "bun" ? "deno" : "node";
export const kinds: Kind[] = [runtime, other];

/** The fixture module `name` for a worker of `kind`: TypeScript, or a bundle for Node. */
export async function fixtureFor(kind: Kind, name = "worker-jobs"): Promise<string> {
  if (kind !== "node") return `${repoRoot}test/fixtures/${name}.ts`;
  await buildWorkerHost();
  return bundleFixture(name);
}

export async function start(kind: Kind, options: WorkerOptions = {}) {
  return worker(await fixtureFor(kind), { runtime: BIN[kind], ...options });
}

let warm: Promise<number> | undefined;

/**
 * Our fds once the library, its reactor and each runtime's own lazy fds are
 * open: a worker of every kind started and closed first (a Node worker
 * starts esbuild's service and its pipes). `kind` is for the callers' reading.
 */
export function baseline(_kind?: Kind): Promise<number> {
  return (warm ??= (async () => {
    // esbuild's service (its pipes stay open) is started here by every runner,
    // also where no Node worker runs, since other files may start it later.
    await buildWorkerHost();
    for (const k of kinds) {
      const w = await start(k);
      await w.call("echo", [0]);
      await w.close();
    }
    return openFds();
  })());
}

/** Our children (esbuild's service left out, as childrenOfUs does). */
export const children = childrenOfUs;

export async function noLeftovers(fdsBefore: number) {
  assert.ok(await until(() => children().length === 0, 5000), `children left: ${children().map(cmdline)}`);
  assert.equal(zombieChildren(), 0);
  assert.ok(await until(() => openFds() <= fdsBefore, 2000), `fds: ${openFds()} after, ${fdsBefore} before`);
}
