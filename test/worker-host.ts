/**
 * Node 20 cannot run TypeScript: a Node worker runs dist/worker-host.js,
 * which `npm run build` makes (scripts/build.sh). Tests build it the same
 * way, once per process, written under a temporary name and renamed so that
 * test runs of the three runtimes side by side never see half a file.
 */
import { mkdirSync, renameSync } from "node:fs";
import { patchFile } from "../scripts/own-keys-export.mjs";
import { repoRoot } from "./repo-root.ts";

let built: Promise<string> | undefined;

export function buildWorkerHost(): Promise<string> {
  return (built ??= (async () => {
    const out = `${repoRoot}dist/worker-host.js`, tmp = `${out}.${process.pid}.tmp`;
    mkdirSync(`${repoRoot}dist`, { recursive: true });
    const esbuild = await import("esbuild" as string);
    await esbuild.build({
      entryPoints: [`${repoRoot}src/worker/host.ts`], outfile: tmp, bundle: true, platform: "node", format: "esm",
      target: "es2022", packages: "external", logLevel: "warning",
    });
    patchFile(tmp);
    renameSync(tmp, out);
    return out;
  })());
}
