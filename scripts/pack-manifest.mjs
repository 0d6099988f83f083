// The package.json that `npm pack` puts in the tarball has no `prepare`:
// that script links this repository's node_modules/aspawn (dev-link.mjs) and
// is nothing to an application, yet npm lists it among the install scripts
// an install must approve ("aspawn@x (prepare: node scripts/dev-link.mjs)",
// a file the package does not even hold). `strip` (prepack) keeps the file
// as it is and writes it without the script; `restore` (postpack) puts the
// kept bytes back. A strip that finds a kept copy (a pack that died before
// its postpack) stops: which of the two is the one to keep is for a person
// to say, and package.json may have been edited since.
import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const manifest = fileURLToPath(new URL("../package.json", import.meta.url));
const kept = fileURLToPath(new URL("../package.json.unpacked", import.meta.url));
const what = process.argv[2];

if (what === "strip") {
  if (existsSync(kept)) {
    console.error(`${kept} is left from a pack that did not finish: compare it with package.json, keep the right one, remove it, and pack again`);
    process.exit(1);
  }
  copyFileSync(manifest, kept);
  const pkg = JSON.parse(readFileSync(manifest, "utf8"));
  delete pkg.scripts.prepare;
  writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
} else if (what === "restore") {
  if (existsSync(kept)) renameSync(kept, manifest);
} else {
  console.error("usage: node scripts/pack-manifest.mjs strip|restore");
  process.exit(2);
}
