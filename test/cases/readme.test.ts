/**
 * Every ```ts block of the README runs, as written, on this runtime (and is
 * type-checked once, on Node): the documentation cannot rot.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { assert, runtimeName, test } from "../adapter.ts";
import { buildDist } from "../dist-build.ts";
import { readmeBlocks, sandbox, withEntry, type Block } from "../readme-blocks.ts";
import { repoRoot } from "../repo-root.ts";
import { buildWorkerHost } from "../worker-host.ts";
import { run } from "../../src/index.ts";

const blocks = readmeBlocks();
const programs = blocks.filter((b) => !b.module);
const out = `${repoRoot}build/readme/${runtimeName}`;

let modules: Promise<void> | undefined;

/**
 * The module blocks (`// jobs.ts: ...`) beside the programs, as the
 * TypeScript written and as the JavaScript a compiler makes of it (a
 * program loads `./jobs.js`). Bun and Deno: "aspawn" is this checkout's
 * src/, shared with the worker's host. Node: "aspawn" stays the package's
 * name, which resolves to this checkout's build (dist/) from inside it, as
 * an installed package would; its worker host is that build's too.
 */
function writeModules(): Promise<void> {
  return (modules ??= (async () => {
    mkdirSync(out, { recursive: true });
    if (runtimeName === "node") {
      await Promise.all([buildWorkerHost(), buildDist("index.js"), buildDist("worker.js")]);
    }
    const esbuild = await import("esbuild" as string);
    for (const b of blocks.filter((b): b is Block & { module: string } => !!b.module)) {
      const code = runtimeName === "node" ? b.code : withEntry(b.code, `${repoRoot}src/index.ts`);
      writeFileSync(`${out}/${b.module}`, code);
      const js = await esbuild.transform(code, { loader: "ts", format: "esm", target: "es2022" });
      writeFileSync(`${out}/${b.module.replace(/\.ts$/, ".js")}`, js.code);
    }
  })());
}

/** The command that runs a block's file on this runtime (Node: an esbuild bundle, as deep as the fixtures'). */
async function command(file: string): Promise<[string, string[]]> {
  if (runtimeName === "bun") return [process.execPath, [file]];
  if (runtimeName === "deno") return [process.execPath, ["run", "--no-check", "--allow-all", file]];
  await buildWorkerHost(); // the bundle runs Node workers from the build, found as an installed package would be
  const esbuild = await import("esbuild" as string);
  const bundle = file.replace(/\.ts$/, ".mjs");
  await esbuild.build({ entryPoints: [file], outfile: bundle, bundle: true, platform: "node", format: "esm", packages: "external", logLevel: "warning" });
  return [process.execPath, [bundle]];
}

test("readme: there are blocks to run", () => {
  assert.ok(blocks.length >= 3, `found ${blocks.length}`);
});

for (const block of programs) {
  test(`readme: the block at line ${block.line} runs`, async () => {
    await writeModules();
    const file = `${out}/block-${block.line}.ts`;
    writeFileSync(file, withEntry(block.code, `${repoRoot}src/index.ts`));
    const dir = sandbox();
    try {
      const [exe, args] = await command(file);
      const r = await run(exe, args, { cwd: dir, reject: false, timeout: 60_000 });
      assert.equal(r.exitCode, 0, `README line ${block.line}:\n${r.stdout}\n${r.stderr}`);
      assert.ok(!existsSync(`${dir}/injected`) && !existsSync(`${dir}/injected.txt`), "an example's injection attempt ran");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
}

test("readme: the blocks type-check", async () => {
  if (runtimeName !== "node") return; // once is enough: the types are the same everywhere
  const dir = `${repoRoot}build/readme/types`;
  mkdirSync(dir, { recursive: true });
  const files = blocks.map((b) => {
    const f = `${dir}/${b.module ?? `block-${b.line}.ts`}`;
    writeFileSync(f, withEntry(b.code, "../../../src/index.ts"));
    return f;
  });
  writeFileSync(`${dir}/tsconfig.json`, JSON.stringify({
    extends: "../../../tsconfig.json",
    compilerOptions: { noUnusedLocals: false },
    include: ["*.ts"],
  }));
  const r = await run(`${repoRoot}node_modules/.bin/tsc`, ["-p", dir], { reject: false });
  assert.equal(r.exitCode, 0, `${files.length} blocks:\n${r.stdout}${r.stderr}`);
}, 120_000);
