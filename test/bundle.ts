/**
 * Node 20 cannot run TypeScript: fixtures run on Node as esbuild bundles in
 * build/fixtures/, one level deeper than test/fixtures/, so `../..` from
 * them is still the checkout; the library is found in node_modules/aspawn
 * (scripts/dev-link.mjs links it to the checkout), as an installed
 * application's bundle finds it. Imports no test runner (scripts use it
 * through fixtures.ts).
 */
import { mkdirSync } from "node:fs";
import { patchFile } from "../scripts/own-keys-export.mjs";
import { repoRoot } from "./repo-root.ts";

/** Bundles test/fixtures/NAME.ts; returns the bundle's path. */
export async function bundleFixture(name: string): Promise<string> {
  const out = `${repoRoot}build/fixtures/${name}.mjs`;
  mkdirSync(`${repoRoot}build/fixtures`, { recursive: true });
  const esbuild = await import("esbuild" as string);
  await esbuild.build({
    entryPoints: [`${repoRoot}test/fixtures/${name}.ts`], outfile: out, bundle: true, platform: "node", format: "esm",
    packages: "external", logLevel: "warning",
  });
  patchFile(out);
  return out;
}
