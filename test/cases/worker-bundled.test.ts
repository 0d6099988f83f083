// worker() from an application that bundled aspawn (esbuild): the host
// program is not beside the bundle, so it is the installed package's build,
// resolved as "aspawn" resolves from the bundle or the working directory.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { run } from "../../src/index.ts";
import { assert, test } from "../adapter.ts";
import { bundleFixture } from "../bundle.ts";
import { repoRoot } from "../repo-root.ts";
import { BIN, fixtureFor } from "../worker-kinds.ts";

test("worker from a bundle: the host is the installed package's build", async () => {
  const jobs = await fixtureFor("node"); // builds dist/worker-host.js too
  // build/fixtures/ is inside this package: "aspawn" resolves to it (self-reference).
  const bundle = await bundleFixture("worker-bundled");
  const r = await run(BIN.node, [bundle, jobs], { cwd: tmpdir() });
  assert.equal(r.stdout.trim(), '"from a bundle"', r.stderr);
});

test("worker from a bundle: no installed package says why, naming the bundle", async () => {
  const jobs = await fixtureFor("node");
  const dir = mkdtempSync(`${tmpdir()}/aspawn-bundled-`);
  try {
    // Outside any package, with koffi and the library at hand: only the host is missing.
    mkdirSync(`${dir}/node_modules`);
    symlinkSync(`${repoRoot}node_modules/koffi`, `${dir}/node_modules/koffi`);
    copyFileSync(await bundleFixture("worker-bundled"), `${dir}/app.mjs`);
    const lib = `${repoRoot}prebuilds/linux-${process.arch}/libaspawn.so`;
    const r = await run(BIN.node, [`${dir}/app.mjs`, jobs], { cwd: dir, env: { ...process.env, ASPAWN_LIBRARY: lib } });
    assert.match(r.stdout, /^error: aspawn: worker\(\) cannot find its host program: aspawn was bundled into file:\/\/.*app\.mjs/);
    assert.match(r.stdout, /keep the package in node_modules/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
