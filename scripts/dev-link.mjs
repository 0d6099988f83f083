// `npm install` in this repository (the `prepare` script): node_modules/aspawn
// links to the repository, as a workspace links its own package, so that the
// bundles made here (test fixtures, benchmarks, examples) find the library as
// an installed application's bundle does: in node_modules/aspawn, never in a
// prebuilds/ above them. Nothing of this runs where the package is installed.
import { lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { fileURLToPath } from "node:url";

const link = fileURLToPath(new URL("../node_modules/aspawn", import.meta.url));
mkdirSync(fileURLToPath(new URL("../node_modules", import.meta.url)), { recursive: true });
let current;
try {
  current = lstatSync(link).isSymbolicLink() ? readlinkSync(link) : "(not a link)";
} catch {
  current = undefined;
}
if (current !== "..") {
  if (current !== undefined) rmSync(link, { recursive: true, force: true });
  symlinkSync("..", link);
}
