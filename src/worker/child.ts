/**
 * "aspawn/worker": the worker's side of its channel, for modules that do
 * more than export functions. `parent` sends and receives messages and fds.
 * The host (host.ts) creates the real one before it imports the module; it
 * is found through a global because the module's import of this package and
 * the host's are not always the same module instance (Node runs a bundle).
 */

export { closeFd, serverFromFd, socketFromFd } from "./net-fd.ts";
export type { FdSocket } from "./fd-socket.ts";

export const PARENT_KEY: unique symbol = Symbol.for("aspawn.worker.parent") as never;

export interface Parent {
  /** Send a value to the parent (`for await (const m of worker.messages)` there). */
  send(value: unknown): Promise<void>;
  /** Values the parent sent with `worker.send()`, until the channel closes. One reader at a time. */
  readonly messages: AsyncIterableIterator<unknown>;
  /** Pass an open fd to the parent (SCM_RIGHTS); ours stays open. A TypeError where the parent runs without the native library. */
  sendFd(fd: number): Promise<void>;
  /** The next fd the parent sent with `worker.sendFd()` (close-on-exec; yours to close); a TypeError as for sendFd(). */
  receiveFd(): Promise<number>;
}

function real(): Parent {
  const p = (globalThis as Record<symbol, unknown>)[PARENT_KEY] as Parent | undefined;
  if (!p) throw new Error("aspawn/worker: this process is not a worker started by worker() of aspawn");
  return p;
}

/** The parent process, in a worker started by worker(). Elsewhere its members throw. */
export const parent: Parent = {
  send: (value) => real().send(value),
  get messages() {
    return real().messages;
  },
  sendFd: (fd) => real().sendFd(fd),
  receiveFd: () => real().receiveFd(),
};
