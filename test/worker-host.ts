/**
 * Node 20 cannot run TypeScript: a Node worker runs dist/worker-host.js,
 * which `npm run build` makes (scripts/build.sh); tests take it from there
 * (dist-build.ts).
 */
import { ensureDist } from "./dist-build.ts";
import { repoRoot } from "./repo-root.ts";

export function buildWorkerHost(): Promise<string> {
  ensureDist();
  return Promise.resolve(`${repoRoot}dist/worker-host.js`);
}
