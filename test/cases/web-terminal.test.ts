// The web terminal of examples/web-terminal, end to end in a real browser:
// headless Chromium loads the page from this runtime's own server (Node:
// node:http and our RFC 6455; Bun.serve; Deno.serve), keys typed into
// xterm.js run in bash on a pty, the output is read back from xterm's
// buffer, a window resize reaches the shell's terminal, and closing the tab
// ends the shell and its job. By hand: a foreign page cannot open a shell;
// fragments, pings and garbage are handled; a shell that exits closes the
// socket; closing the server ends the shells still open. And the Node server
// as the README builds and runs it.
import { runtime } from "../../src/ffi/runtime.ts";
import { spawn } from "../../src/index.ts";
import { serve, type ServeOptions, type WebTerminal } from "../../examples/web-terminal/server.ts";
import { assert, nativeTest } from "../adapter.ts";
import { Browser, type Page } from "../chromium.ts";
import { CLOSE, CONTINUATION, HandSocket, PING, PONG, SAMPLE_ACCEPT, TEXT } from "../websocket-by-hand.ts";
import { cmdline, descendants, procState } from "../proc.ts";
import { repoRoot } from "../repo-root.ts";
import { sleep, until, within } from "../wait.ts";

/** Chromium's start and first paint take seconds here, far more on a loaded machine. */
const SLOW = 240000;
const WAIT = 60000;

/** bash with a prompt we can find, on any free port. */
const bashOptions: ServeOptions = { port: 0, command: ["bash", "--norc", "--noprofile", "-i"], env: { PS1: "PROMPT$ ", HISTFILE: "/dev/null" } };
const bashes = () => descendants(process.pid).filter((p) => cmdline(p).startsWith("bash\0"));

const screen = (page: Page) => page.evaluate<string>(`(() => {
  const b = terminal.buffer.active, lines = [];
  for (let i = 0; i < b.length; i++) lines.push(b.getLine(i).translateToString(true));
  return lines.join("\\n");
})()`);

/** Until the screen matches; the match. */
async function onScreen(page: Page, re: RegExp, what: string): Promise<RegExpExecArray> {
  let text = "";
  for (const deadline = performance.now() + WAIT; performance.now() < deadline; await sleep(100)) {
    const m = re.exec(text = await screen(page));
    if (m) return m;
  }
  throw new Error(`${what}: no ${re} on the screen:\n${text}`);
}

nativeTest(["pty"], `web terminal (${runtime}): Chromium types into xterm.js, bash on a pty answers, resizes reach stty, closing the tab ends the shell`, async () => {
  const browser = Browser.launch();
  let server: WebTerminal | undefined;
  try {
    server = await serve(bashOptions);
    const page = await browser.open(server.url, 800, 600);
    await onScreen(page, /PROMPT\$ /, "the first prompt");

    await page.type("echo $$\r");
    const shell = Number((await onScreen(page, /^(\d+)\s*$/m, "the shell's pid"))[1]);
    assert.ok(descendants(process.pid).includes(shell), `bash ${shell} is a child of this server`);

    await page.type("echo $((6*7))\r");
    await onScreen(page, /^42\s*$/m, "the answer");

    const before = await page.evaluate<[number, number]>("[terminal.cols, terminal.rows]");
    await page.resize(1100, 760);
    let after = before;
    for (const deadline = performance.now() + WAIT; performance.now() < deadline && after[0] === before[0]; await sleep(100)) {
      after = await page.evaluate<[number, number]>("[terminal.cols, terminal.rows]");
    }
    assert.ok(after[0] > before[0] && after[1] > before[1], `the terminal grew with the window: ${before} → ${after}`);
    await page.type("stty size\r");
    await onScreen(page, new RegExp(`^${after[1]} ${after[0]}\\s*$`, "m"), `stty size after the resize to ${after}`);

    // A foreground job, then the tab closes: the socket closes, the shell is hung up and reaped, its job ends.
    await page.type("sleep 987\r");
    let job = 0;
    assert.ok(await until(() => !!(job = descendants(shell).find((p) => cmdline(p).startsWith("sleep\0")) ?? 0), WAIT, 50), "sleep runs in the shell");
    await page.close();
    assert.ok(await until(() => procState(shell) === null && procState(job) === null, WAIT, 50),
      `after the tab closed: bash ${procState(shell)}, sleep ${procState(job)} (null: gone)`);

  } finally {
    await server?.close();
    await browser.close();
  }
  const left = descendants(process.pid).map(cmdline).filter((c) => /^(bash|sleep)\0|chromium/.test(c));
  assert.deepEqual(left, [], "no shell, job or browser process left");
}, SLOW);


nativeTest(["pty"], `web terminal (${runtime}): by hand — no shell for another site's page; fragments, ping and garbage; exit closes the socket; close() ends open shells`, async () => {
  const server = await serve(bashOptions);
  let closed = false;
  try {
    // Browsers apply no CORS to WebSockets: any site could try. Refused before a shell starts.
    const foreign = await HandSocket.connect(server.port, "http://evil.example");
    assert.match(foreign.head, /^HTTP\/1\.1 403/);
    foreign.destroy();
    await sleep(300);
    assert.deepEqual(bashes(), [], "no shell for a foreign origin");

    const ws = await HandSocket.connect(server.port, `http://127.0.0.1:${server.port}`, "/pty?cols=91&rows=33");
    assert.match(ws.head, /^HTTP\/1\.1 101/);
    assert.match(ws.head, new RegExp(`^sec-websocket-accept: ${SAMPLE_ACCEPT.replace(/[+/]/g, "\\$&")}$`, "im"));
    await ws.until(() => ws.text().includes("PROMPT$ "), "the first prompt");
    // Not JSON, not an object, wrong types, sizes out of range: ignored, the shell stays.
    for (const junk of ["{", "null", "42", '{"input":7}', '{"resize":[-1,"x"]}', '{"resize":[0,0]}', '{"resize":[1e9,5]}', '{"resize":"big"}']) ws.send(TEXT, junk);
    // One message in three fragments, with a ping between them.
    const msg = JSON.stringify({ input: "stty size; echo $((6*7))\r" });
    ws.send(TEXT, msg.slice(0, 5), false);
    ws.send(PING, "are you there");
    ws.send(CONTINUATION, msg.slice(5, 20), false);
    ws.send(CONTINUATION, msg.slice(20));
    await ws.until(() => /^42\r?$/m.test(ws.text()), "the answer");
    assert.match(ws.text(), /^33 91\r?$/m, "the size of the query string, the junk resizes ignored");
    assert.ok(ws.frames.some((f) => f.opcode === PONG && f.payload.toString() === "are you there"), "a pong with the ping's payload");

    const [shell] = bashes();
    ws.send(TEXT, JSON.stringify({ input: "exit\r" }));
    await ws.until(() => ws.ended || ws.frames.some((f) => f.opcode === CLOSE), "the socket closed after exit");
    assert.ok(await until(() => procState(shell!) === null, WAIT, 50), `bash ${shell} reaped: ${procState(shell!)}`);
    ws.destroy();

    // Closing the server with a tab still open ends that shell too, and its socket.
    const open = await HandSocket.connect(server.port, `http://127.0.0.1:${server.port}`);
    await open.until(() => open.text().includes("PROMPT$ "), "the second shell's prompt");
    assert.equal(bashes().length, 1);
    closed = true;
    assert.notEqual(await within(server.close(), WAIT), "timeout", "server.close() with a shell open");
    assert.deepEqual(bashes(), [], "the open tab's shell ended with the server");
    await open.until(() => open.ended, "the open tab's socket closed");
  } finally {
    if (!closed) await server.close();
  }
}, SLOW);

nativeTest(["pty"], `web terminal (${runtime}): the Node server as the README runs it (an esbuild bundle, node:http and node-websocket.ts)`, async () => {
  const out = `${repoRoot}examples/web-terminal/server.node.mjs`;
  const esbuild = await import("esbuild" as string);
  await esbuild.build({
    entryPoints: [`${repoRoot}examples/web-terminal/server.ts`], outfile: out, bundle: true, platform: "node", format: "esm",
    packages: "external", logLevel: "warning",
  });
  const node = spawn("node", [out], { env: { PORT: "0", SHELL: "sh", PS1: "PROMPT$ " }, stderr: "inherit" });
  try {
    let first = "";
    for await (const line of node.lines()) {
      first = line;
      break;
    }
    const port = Number(/^a shell in your browser: http:\/\/127\.0\.0\.1:(\d+)\/$/.exec(first)?.[1]);
    assert.ok(port > 0, `the URL it prints: ${JSON.stringify(first)}`);
    const ws = await HandSocket.connect(port, `http://127.0.0.1:${port}`, "/pty?cols=77&rows=22");
    assert.match(ws.head, /^HTTP\/1\.1 101/);
    ws.send(TEXT, JSON.stringify({ input: "stty size; echo $((6*7)); exit\r" }));
    await ws.until(() => ws.ended, "the socket closed after exit");
    assert.match(ws.text(), /\b22 77\r\n42\r\n/, "stty size and the answer"); // sh may print its prompt after the echo of typed-ahead keys
  } finally {
    node.kill("SIGTERM");
    await node.exited;
  }
}, SLOW);
