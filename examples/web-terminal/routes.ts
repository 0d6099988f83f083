/**
 * What every server answers, whatever the runtime: the page, its script,
 * xterm.js from node_modules, and who may open a terminal.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** node_modules/@xterm, found as Node finds packages: in this directory or the nearest parent with it. */
function xtermDir(): string {
  for (let dir = here; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", "@xterm");
    if (existsSync(join(candidate, "xterm", "package.json"))) return candidate;
    if (dirname(dir) === dir) throw new Error("@xterm/xterm is not installed: npm install (it is a devDependency of aspawn)");
  }
}

const xterm = xtermDir();
const files: Record<string, [path: string, type: string]> = {
  "/": [join(here, "public", "index.html"), "text/html; charset=utf-8"],
  "/client.js": [join(here, "public", "client.js"), "text/javascript"],
  "/xterm/xterm.mjs": [join(xterm, "xterm", "lib", "xterm.mjs"), "text/javascript"],
  "/xterm/xterm.css": [join(xterm, "xterm", "css", "xterm.css"), "text/css"],
  "/xterm/addon-fit.mjs": [join(xterm, "addon-fit", "lib", "addon-fit.mjs"), "text/javascript"],
};

/** A static file's response, or 404. */
export function staticFile(pathname: string): Response {
  const file = Object.hasOwn(files, pathname) ? files[pathname] : undefined;
  if (!file) return new Response("not found\n", { status: 404 });
  return new Response(readFileSync(file[0]), { headers: { "content-type": file[1] } });
}

/**
 * Whether a WebSocket request may open a shell. Browsers let any site open a
 * WebSocket to 127.0.0.1 (no CORS for WebSockets), so the Origin must be
 * this very page; and the Host must be a loopback name, or a site could
 * rebind its DNS name to 127.0.0.1 and be same-origin with us.
 */
export function mayOpenShell(host: string | null | undefined, origin: string | null | undefined, port: number): boolean {
  const ours = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  return typeof host === "string" && ours.includes(host) && origin === `http://${host}`;
}
