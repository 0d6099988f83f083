// esbuild's __export helper defines a module's exports with a for...in loop,
// which also walks enumerable keys a program added to Object.prototype: after
// `Object.prototype.x = 1` our bundle would fail to load ("Getter must be a
// function"). This makes the loop walk own keys only. Used by
// scripts/build.sh on dist/ and by the tests' own bundles.
//   node scripts/own-keys-export.mjs FILE...   patches the files in place
import { readFileSync, writeFileSync } from "node:fs";
import { argv } from "node:process";
import { fileURLToPath } from "node:url";

const LOOP = "for (var name in all)";

/** @param {string} code @returns {string} */
export function ownKeysExport(code) {
  return code.replaceAll(LOOP, "for (var name of Object.keys(all))");
}

/** @param {string} path */
export function patchFile(path) {
  const code = readFileSync(path, "utf8"), patched = ownKeysExport(code);
  if (patched !== code) writeFileSync(path, patched);
}

if (argv[1] === fileURLToPath(import.meta.url)) for (const f of argv.slice(2)) patchFile(f);
