// The browser side: xterm.js draws the screen and turns keys into bytes; a
// WebSocket carries the keys and resizes out (JSON) and the screen in (binary).
import { Terminal } from "/xterm/xterm.mjs";
import { FitAddon } from "/xterm/addon-fit.mjs";

const terminal = new Terminal({ cursorBlink: true });
const fit = new FitAddon();
terminal.loadAddon(fit);
terminal.open(document.getElementById("terminal"));
fit.fit();

// The shell starts at the window's size, so its first prompt is laid out right.
const socket = new WebSocket(`ws://${location.host}/pty?cols=${terminal.cols}&rows=${terminal.rows}`);
socket.binaryType = "arraybuffer";
const send = (message) => socket.readyState === WebSocket.OPEN && socket.send(JSON.stringify(message));

socket.onmessage = (e) => terminal.write(new Uint8Array(e.data));
socket.onclose = () => terminal.write("\r\n\x1b[2m[the shell has ended]\x1b[0m\r\n");
terminal.onData((input) => send({ input }));
terminal.onResize(({ cols, rows }) => send({ resize: [cols, rows] }));
addEventListener("resize", () => fit.fit());
terminal.focus();

// For scripts and tests driving the page (test/cases/web-terminal.test.ts).
globalThis.terminal = terminal;
globalThis.socket = socket;
