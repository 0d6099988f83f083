/**
 * One browser tab's shell: a program on a pseudo-terminal (aspawn's `pty`),
 * its screen sent to the page as binary messages, the page's messages
 * (JSON: `{ "input": keys }` or `{ "resize": [cols, rows] }`) typed or
 * applied. The same for every runtime: each server adapts its WebSocket to
 * a Peer. When the socket closes the shell is hung up and reaped.
 */
import { spawn, type Subprocess } from "../../src/index.ts"; // in your project: from "aspawn"

/** The socket to the page, as each server has it. */
export interface Peer {
  /** Sends the screen's bytes; a promise while the socket's buffer is full (backpressure). */
  send(bytes: Uint8Array): Promise<void> | void;
  close(): void;
}

export interface ShellOptions {
  /** The program and its arguments. @default [$SHELL or "bash", "-i"] */
  command?: readonly [string, ...string[]];
  /** Merged over this process's environment. */
  env?: Record<string, string>;
  cwd?: string;
}

export interface Size {
  cols: number;
  rows: number;
}

/** After SIGHUP, how long a shell may take before SIGKILL (its whole tree). */
const HANGUP_GRACE_MS = 3000;
const LIMIT = 4096;

/** The page's initial size from `?cols=&rows=`, or 80×24. */
export function sizeFrom(url: URL): Size {
  const n = (name: string, fallback: number) => {
    const v = Number(url.searchParams.get(name));
    return Number.isInteger(v) && v >= 1 && v <= LIMIT ? v : fallback;
  };
  return { cols: n("cols", 80), rows: n("rows", 24) };
}

export class ShellSession {
  readonly subprocess: Subprocess;
  readonly #keys: WritableStreamDefaultWriter<Uint8Array>;
  readonly #encoder = new TextEncoder();
  #closing: Promise<void> | undefined;

  constructor(private readonly peer: Peer, size: Size, options: ShellOptions = {}) {
    const [file, ...args] = options.command ?? [process.env.SHELL || "bash", "-i"];
    this.subprocess = spawn(file, args, { pty: size, env: options.env, cwd: options.cwd });
    this.#keys = this.subprocess.stdin!.getWriter();
    void this.#pump();
  }

  /** The screen to the page until the shell is gone; then the page is told by closing the socket. */
  async #pump(): Promise<void> {
    try {
      for await (const chunk of this.subprocess.stdout!) await this.peer.send(chunk);
    } catch {
      // the socket went first: close() hangs up
    }
    this.peer.close();
  }

  /** A message from the page. Anything malformed is ignored: the page is not trusted. */
  message(text: string): void {
    let m: unknown;
    try {
      m = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof m !== "object" || m === null) return;
    const { input, resize } = m as { input?: unknown; resize?: unknown };
    if (typeof input === "string") this.#keys.write(this.#encoder.encode(input)).catch(() => {}); // the shell may be gone
    if (Array.isArray(resize)) {
      const [cols, rows] = resize as unknown[];
      try {
        this.subprocess.pty!.resize(cols as number, rows as number); // a TypeError for bad sizes, EBADF once closed
      } catch {
        // ignored, as any malformed message
      }
    }
  }

  /** The socket closed: SIGHUP (an interactive shell passes it to its jobs), SIGKILL to the tree if it lingers; resolves once reaped. */
  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      const p = this.subprocess;
      p.kill("SIGHUP");
      const timer = setTimeout(() => p.kill("SIGKILL", { tree: true }), HANGUP_GRACE_MS);
      await p.exited.catch(() => {});
      clearTimeout(timer);
    })());
  }
}

/** A server's open shells, so that closing the server ends them all. */
export class Shells {
  readonly #open = new Set<ShellSession>();

  constructor(private readonly options: ShellOptions) {}

  /** A shell for the socket of a request to `url` (its size in the query). */
  open(peer: Peer, url: URL): ShellSession {
    const s = new ShellSession(peer, sizeFrom(url), this.options);
    this.#open.add(s);
    void s.subprocess.exited.catch(() => {}).then(() => this.#open.delete(s));
    return s;
  }

  /** Every shell hung up and reaped. */
  closeAll(): Promise<void> {
    return Promise.all([...this.#open].map((s) => s.close())).then(() => {});
  }
}
