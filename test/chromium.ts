/**
 * Headless Chromium (Debian's `chromium`) driven over the DevTools protocol
 * through --remote-debugging-pipe: Chromium reads commands on its fd 3 and
 * writes replies and events on fd 4, each a JSON message ended by a NUL.
 * Two extra pipes of an aspawn spawn, so no WebSocket client and no npm
 * package: the same on Node, Bun and Deno.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { spawn, type Subprocess } from "../src/index.ts";
import { within } from "./wait.ts";

export const CHROMIUM = "/usr/bin/chromium";

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

export class Browser {
  #next = 1;
  readonly #replies = new Map<number, { resolve(m: Message): void; reject(e: Error): void }>();
  readonly #listeners = new Set<(m: Message) => void>();
  readonly #commands: WritableStreamDefaultWriter<Uint8Array>;
  readonly #encoder = new TextEncoder();
  /** Chromium's last words, for failure messages. */
  stderr = "";

  private constructor(readonly process: Subprocess, private readonly profile: string) {
    this.#commands = process.stdio[3]!.writable.getWriter();
    void this.#read();
    void (async () => {
      const d = new TextDecoder();
      for await (const chunk of process.stderr!) this.stderr = (this.stderr + d.decode(chunk, { stream: true })).slice(-4000);
    })();
  }

  /** Fails, saying how to install it, when Debian's chromium is missing. */
  static launch(): Browser {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install Debian's package (apt-get install -y chromium), as .ci/run does`);
    }
    const profile = mkdtempSync(`${tmpdir()}/aspawn-chromium-`);
    const p = spawn(CHROMIUM, [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
      "--no-default-browser-check", "--disable-extensions", "--remote-debugging-pipe",
      `--user-data-dir=${profile}`, "about:blank",
    ], { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
    return new Browser(p, profile);
  }

  async #read(): Promise<void> {
    let pending = new Uint8Array(0);
    const d = new TextDecoder();
    for await (const chunk of this.process.stdio[4]!.readable) {
      const all = new Uint8Array(pending.length + chunk.length);
      all.set(pending), all.set(chunk, pending.length);
      let start = 0;
      for (let i = all.indexOf(0); i >= 0; start = i + 1, i = all.indexOf(0, start)) {
        this.#dispatch(JSON.parse(d.decode(all.subarray(start, i))) as Message);
      }
      pending = all.slice(start);
    }
    const gone = new Error(`chromium closed the DevTools pipe; its stderr ends: ${this.stderr}`);
    for (const r of this.#replies.values()) r.reject(gone);
    this.#replies.clear();
  }

  #dispatch(m: Message): void {
    if (m.id !== undefined) {
      const r = this.#replies.get(m.id);
      this.#replies.delete(m.id);
      r?.resolve(m);
    } else for (const l of this.#listeners) l(m);
  }

  /** A command; its result, or an error naming the method. */
  async send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.#next++;
    const reply = new Promise<Message>((resolve, reject) => this.#replies.set(id, { resolve, reject }));
    await this.#commands.write(this.#encoder.encode(JSON.stringify({ id, method, params, sessionId }) + "\0"));
    const m = await reply;
    if (m.error) throw new Error(`${method}: ${m.error.message}`);
    return m.result ?? {};
  }

  /** The next event `method` (of `sessionId`), listening from now. */
  event(method: string, sessionId?: string): Promise<Message> {
    return new Promise((resolve) => {
      const l = (m: Message) => {
        if (m.method === method && m.sessionId === sessionId) this.#listeners.delete(l), resolve(m);
      };
      this.#listeners.add(l);
    });
  }

  /** A new tab of `width`×`height` CSS pixels showing `url`, once loaded. */
  async open(url: string, width: number, height: number): Promise<Page> {
    const { targetId } = await this.send("Target.createTarget", { url: "about:blank" }) as { targetId: string };
    const { sessionId } = await this.send("Target.attachToTarget", { targetId, flatten: true }) as { sessionId: string };
    const page = new Page(this, targetId, sessionId);
    await page.send("Page.enable");
    await page.resize(width, height);
    const loaded = this.event("Page.loadEventFired", sessionId);
    await page.send("Page.navigate", { url });
    await loaded;
    return page;
  }

  async close(): Promise<void> {
    await within(this.send("Browser.close").catch(() => {}), 10000);
    if (await within(this.process.exited, 10000) === "timeout") this.process.kill("SIGKILL", { tree: true });
    await this.process.exited;
    rmSync(this.profile, { recursive: true, force: true });
  }
}

export class Page {
  constructor(readonly browser: Browser, readonly targetId: string, readonly sessionId: string) {}

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.browser.send(method, params, this.sessionId);
  }

  /** The value of a JavaScript expression in the page (awaited, as JSON). */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true }) as {
      result: { value?: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (r.exceptionDetails) throw new Error(`${expression}: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** The viewport, as a window resize: the page gets a `resize` event. */
  resize(width: number, height: number): Promise<unknown> {
    return this.send("Emulation.setDeviceMetricsOverride", { width, height, deviceScaleFactor: 1, mobile: false });
  }

  /** Keys as a user types them: a keyDown with its text and a keyUp each; "\r" is Enter. */
  async type(text: string): Promise<void> {
    for (const ch of text) {
      const key = ch === "\r" ? { key: "Enter", code: "Enter", windowsVirtualKeyCode: 13 } : { key: ch };
      await this.send("Input.dispatchKeyEvent", { type: "keyDown", text: ch, ...key });
      await this.send("Input.dispatchKeyEvent", { type: "keyUp", ...key });
    }
  }

  close(): Promise<unknown> {
    return this.browser.send("Target.closeTarget", { targetId: this.targetId });
  }
}
