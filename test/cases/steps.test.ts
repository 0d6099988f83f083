// The step table (src/api/steps.ts) is data: its order rules hold, and it
// agrees with the C side's op table (lib/c/program.h) on every property
// both sides depend on.
import { readFileSync } from "node:fs";
import { Op, ReqHeader } from "../../src/ffi/abi.ts";
import type { Options } from "../../src/api/options.ts";
import { NOT_STEPS, plan } from "../../src/api/plan.ts";
import { steps } from "../../src/api/steps.ts";
import { assert, test } from "../adapter.ts";
import { repoRoot } from "../repo-root.ts";

const program = readFileSync(`${repoRoot}lib/c/program.h`, "utf8");

const index = (option: string) => steps.findIndex((s) => s.option === option);

test("steps: every order rule of the table holds", () => {
  assert.equal(new Set(steps.map((s) => s.option)).size, steps.length, "one step per option");
  assert.equal(new Set(steps.map((s) => s.name)).size, steps.length, "step names are unique");
  steps.forEach((s, i) => {
    for (const before of s.after) {
      assert.ok(index(before) >= 0, `${s.option}: after unknown option ${before}`);
      assert.ok(index(before) < i, `${s.option} must run after ${before}: ${s.why}`);
    }
    assert.ok(s.after.length === 0 || s.why, `${s.option}: a rule says why`);
    if (s.beforeClone) assert.ok(steps.slice(0, i).every((p) => p.beforeClone), `${s.option} comes first`);
    if (s.last) assert.equal(i, steps.length - 1, `${s.option} is last`);
  });
});

/** op number -> flags of lib/c/program.h's asp_ops table. */
function opTable(text: string): Map<number, Set<string>> {
  const table = new Map<number, Set<string>>();
  for (const m of text.matchAll(/^\s*\[ASP_OP_(\w+)\]\s*=\s*\{\s*ASP_LAYOUT_\w+\s*,\s*([^}]*)\}/gm)) {
    const op = (Op as Record<string, number>)[m[1]!];
    assert.ok(op !== undefined, `program.h names an op abi.ts lacks: ${m[1]}`);
    table.set(op, new Set(m[2]!.split("|").map((f) => f.trim()).filter((f) => f !== "0")));
  }
  return table;
}

function disagreements(table: Map<number, Set<string>>): string[] {
  const out: string[] = [];
  const opName = (op: number) => Object.keys(Op).find((k) => (Op as Record<string, number>)[k] === op);
  const used = new Set(steps.flatMap((s) => s.ops));
  for (let op = 1; op <= Op.MAX; op++) {
    if (!table.has(op)) out.push(`program.h has no entry for ASP_OP_${opName(op)}`);
    if (!used.has(op as never)) out.push(`no step of steps.ts encodes ASP_OP_${opName(op)}`);
  }
  for (const s of steps) {
    for (const op of s.ops) {
      const flags = table.get(op) ?? new Set();
      if (flags.has("ASP_OPF_CREDS") !== !!s.changesIds) out.push(`${s.option}: changesIds vs ASP_OPF_CREDS of ${opName(op)}`);
      if (flags.has("ASP_OPF_PARENT") !== !!s.beforeClone) out.push(`${s.option}: beforeClone vs ASP_OPF_PARENT of ${opName(op)}`);
    }
  }
  return out;
}

test("steps: the C op table has every op, with the properties the TS table gives it", () => {
  assert.deepEqual(disagreements(opTable(program)), []);
});

test("steps: an op whose credential flag is dropped on one side is found", () => {
  const dropped = program.replace(/(\[ASP_OP_SETUID\]\s*=\s*\{\s*ASP_LAYOUT_\w+\s*,\s*)[^}]*\}/, "$10}");
  assert.notEqual(dropped, program, "the edit must apply");
  assert.ok(disagreements(opTable(dropped)).some((d) => d.includes("ASP_OPF_CREDS")));
});

test("steps: an option's getter that spawns during a spawn leaves both requests intact", async () => {
  const { run } = await import("../../src/index.ts");
  let inner: Promise<{ stdout: string | Uint8Array }> | undefined;
  const env = {
    get A() {
      inner ??= run("echo", ["inner"]);
      return "outer";
    },
  };
  const outer = await run("sh", ["-c", 'echo "$A" "$1"', "sh", "arg"], { env, cwd: "/" });
  assert.equal(outer.stdout, "outer arg\n");
  assert.equal((await inner!).stdout, "inner\n");
});

test("steps: no check reads an option plan.ts's cache leaves out of its key (NOT_STEPS)", () => {
  // umask keeps both plans off the cache: the checks run each time.
  const base: Options = { umask: 0o22, stdout: "pipe" };
  const samples: Record<string, unknown> = { env: { A: "1" }, clearEnv: true, argv0: "x", timeout: 1000, forceKillAfter: 10 };
  const stepBytes = (o: Options) => {
    const p = plan("/bin/true", ["a"], o, { stdin: "ignore", stdout: "pipe", stderr: "inherit" });
    const view = new DataView(p.request.buffer, p.request.byteOffset, p.request.length);
    return { names: p.steps.join(","), bytes: [...p.request.subarray(view.getUint32(ReqHeader.steps_offset, true))].join(",") };
  };
  const without = stepBytes(base);
  for (const key of NOT_STEPS) {
    assert.ok(key in samples, `a sample value for ${key}`);
    assert.deepEqual(stepBytes({ ...base, [key]: samples[key] }), without, `${key} changes the steps`);
  }
});
