// The README's API reference is checked against the types.
import { readFileSync } from "node:fs";
import { assert, test } from "../adapter.ts";

const root = new URL("../../", import.meta.url);
const readme = readFileSync(new URL("README.md", root), "utf8");
const options = readFileSync(new URL("src/api/options.ts", root), "utf8");

test("docs: every option has a row in a README table", () => {
  const names = [...options.matchAll(/^ {2}(\w+)\?:/gm)].map((m) => m[1]!);
  assert.ok(names.length >= 29, `found ${names.length} options`);
  const missing = names.filter((n) => !readme.includes(`| \`${n}\` |`) && !readme.includes(`| \`${n}\`, `) &&
    !new RegExp("\\| `[a-zA-Z]+`, `" + n + "` \\|").test(readme));
  assert.deepEqual(missing, []);
});

test("docs: every option documents its default with @default", () => {
  const blocks = options.split(/\n {2}\w+\?:/).slice(0, -1);
  for (const b of blocks) assert.match(b.slice(b.lastIndexOf("/**")), /@default/);
});

test("docs: every public export is in the README", async () => {
  const index = readFileSync(new URL("src/index.ts", root), "utf8");
  const exported = [...index.matchAll(/export (?:type )?\{([^}]+)\}/g)]
    .flatMap((m) => m[1]!.split(",").map((s) => s.replace(/^\s*type\s+/, "").trim()))
    .filter(Boolean);
  const missing = exported.filter((n) => !readme.includes(n));
  assert.deepEqual(missing, []);
});

test("docs: the README's order of pre-exec steps is the step table's", async () => {
  const { steps } = await import("../../src/api/steps.ts");
  const sentence = /The order is fixed:([^(.]*)/.exec(readme);
  assert.ok(sentence, "the README has its order sentence");
  const listed = sentence[1]!.split(",").map((s) => s.replace(/\s+/g, " ").trim());
  assert.deepEqual(listed, steps.map((s) => s.label ?? `\`${s.option}\``));
});
