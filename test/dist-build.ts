/**
 * Node 20 cannot run TypeScript: what a Node process loads from the build
 * (dist/) tests take from dist/ as `npm run build` makes it
 * (scripts/build.sh: shared chunks, kept names, declarations), built again
 * only when a source is newer. Not a test build of its own: dist/ is what
 * `import "aspawn"` loads from this checkout after `npm test` too, and a
 * bundle per entry there gave Node a second copy of the library per entry
 * and classes named `_SpawnError`. Under a lock, so that test processes of
 * the three runtimes started side by side build it once.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { repoRoot } from "./repo-root.ts";

/** What scripts/build.sh builds from; dist/index.d.ts, its last output, is older than none of them when dist/ is current. */
const INPUTS = "src scripts/build.sh scripts/cheap-names.mjs scripts/own-keys-export.mjs tsconfig.build.json";
const STALE = `[ ! -f dist/index.d.ts ] || [ -n "$(find ${INPUTS} -newer dist/index.d.ts -print -quit)" ]`;

let current = false;

/** dist/, current with the sources. */
export function ensureDist(): void {
  if (current) return;
  mkdirSync(`${repoRoot}build`, { recursive: true });
  execFileSync("flock", [`${repoRoot}build/dist.lock`, "sh", "-c", `if ${STALE}; then bash scripts/build.sh; fi`], {
    cwd: repoRoot,
    stdio: ["ignore", "inherit", "inherit"],
  });
  current = true;
}

/** dist/OUT (an entry of scripts/build.sh), current; returns its path. */
export function buildDist(out: string): Promise<string> {
  ensureDist();
  return Promise.resolve(`${repoRoot}dist/${out}`);
}
