/**
 * Node 20 cannot run TypeScript: what a Node process loads from the build
 * (dist/, which `npm run build` makes with scripts/build.sh) tests build the
 * same way, once per process and file, written under a temporary name and
 * renamed so that test runs of the three runtimes side by side never see
 * half a file.
 */
import { mkdirSync, renameSync } from "node:fs";
import { patchFile } from "../scripts/own-keys-export.mjs";
import { repoRoot } from "./repo-root.ts";

const built = new Map<string, Promise<string>>();

/** Bundles src/SRC into dist/OUT as scripts/build.sh does; returns its path. */
export function buildDist(src: string, out: string): Promise<string> {
  let p = built.get(out);
  if (!p) {
    p = (async () => {
      const path = `${repoRoot}dist/${out}`, tmp = `${path}.${process.pid}.tmp`;
      mkdirSync(`${repoRoot}dist`, { recursive: true });
      const esbuild = await import("esbuild" as string);
      await esbuild.build({
        entryPoints: [`${repoRoot}src/${src}`], outfile: tmp, bundle: true, platform: "node", format: "esm",
        target: "es2022", packages: "external", logLevel: "warning",
      });
      patchFile(tmp);
      renameSync(tmp, path);
      return path;
    })();
    built.set(out, p);
  }
  return p;
}
