// The C contract (lib/c/include/aspawn.h) against its TypeScript mirror
// (src/ffi/abi.ts) and the symbol table (src/ffi/symbols.ts): every
// constant, record layout and exported function, both ways.
import { readFileSync } from "node:fs";
import * as abi from "../../src/ffi/abi.ts";
import { symbols } from "../../src/ffi/symbols.ts";
import { assert, test } from "../adapter.ts";
import { repoRoot } from "../repo-root.ts";

const header = readFileSync(`${repoRoot}lib/c/include/aspawn.h`, "utf8");

interface Parsed {
  constants: Map<string, number>;
  structs: Map<string, { fields: Map<string, number>; size: number }>;
  functions: Map<string, string[]>;
}

const SIZES: Record<string, number> = { int32_t: 4, uint32_t: 4, int64_t: 8, uint64_t: 8, double: 8 };

function parse(text: string): Parsed {
  const src = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  const constants = new Map<string, number>();
  const evaluate = (expr: string): number => {
    const e = expr.replace(/\b(0x[0-9a-f]+|\d+)u\b/gi, "$1").replace(/\bASP_\w+\b/g, (n) => {
      if (!constants.has(n)) throw new Error(`${n} used before it is defined`);
      return `(${constants.get(n)})`;
    });
    if (!/^[\s\dxa-f()+\-<|]+$/i.test(e)) throw new Error(`cannot evaluate ${expr}`);
    return Function(`return (${e});`)() as number;
  };
  // In source order: a value may use one defined above it.
  for (const m of src.matchAll(/^#define (ASP_\w+)[ \t]+(.+)$|enum\s*\w*\s*\{([^}]*)\}/gm)) {
    if (m[1]) constants.set(m[1], evaluate(m[2]!.trim()));
    else for (const e of m[3]!.matchAll(/(ASP_\w+)\s*=\s*([^,]+)/g)) constants.set(e[1]!, evaluate(e[2]!.trim()));
  }
  const structs: Parsed["structs"] = new Map();
  for (const m of src.matchAll(/struct (asp_\w+)\s*\{([^}]*)\};/g)) {
    const fields = new Map<string, number>();
    let off = 0, align = 1;
    for (const f of m[2]!.matchAll(/(\w+)\s+(\w+);/g)) {
      const size = SIZES[f[1]!];
      if (!size) throw new Error(`struct ${m[1]}: unknown type ${f[1]}`);
      off = Math.ceil(off / size) * size;
      fields.set(f[2]!, off);
      off += size;
      align = Math.max(align, size);
    }
    structs.set(m[1]!, { fields, size: Math.ceil(off / align) * align });
  }
  const functions = new Map<string, string[]>();
  for (const m of src.matchAll(/^int (asp_\w+)\(([^)]*)\);/gm)) {
    const args = m[2]!.trim() === "void" ? [] : m[2]!.split(",").map((a) => {
      const t = a.trim();
      if (t.includes("*")) return "buffer";
      if (/^(int|int32_t)\s/.test(t)) return "i32";
      if (/^uint32_t\s/.test(t)) return "u32";
      throw new Error(`${m[1]}: unknown argument type in "${t}"`);
    });
    functions.set(m[1]!, args);
  }
  return { constants, structs, functions };
}

const pascal = (snake: string) => snake.toLowerCase().split("_").map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
const mirror = abi as unknown as Record<string, Record<string, number>>;

/** Every difference between the header and the mirror, as readable lines. */
function differences(p: Parsed): string[] {
  const out: string[] = [];
  for (const [name, value] of p.constants) {
    const [, group, key] = /^ASP_([A-Z0-9]+)_(\w+)$/.exec(name)!;
    const got = mirror[pascal(group!)]?.[key!];
    if (got !== value) out.push(`${name} = ${value}, abi.ts ${pascal(group!)}.${key} = ${got}`);
  }
  for (const [name, s] of p.structs) {
    const ts = pascal(name.slice(4));
    for (const [field, off] of s.fields) {
      if (mirror[ts]?.[field] !== off) out.push(`struct ${name}.${field} at ${off}, abi.ts ${ts}.${field} = ${mirror[ts]?.[field]}`);
    }
    if (mirror[ts]?.SIZE !== s.size) out.push(`struct ${name} is ${s.size} bytes, abi.ts ${ts}.SIZE = ${mirror[ts]?.SIZE}`);
  }
  // The other way: nothing in the mirror that the header lacks.
  for (const [group, values] of Object.entries(mirror)) {
    const struct = p.structs.get(`asp_${group.replace(/[A-Z]/g, (c, i) => (i ? "_" : "") + c.toLowerCase())}`);
    for (const key of Object.keys(values)) {
      const known = /^[a-z]/.test(key) ? struct?.fields.has(key) : key === "SIZE" && struct
        ? true
        : p.constants.has(`ASP_${group.toUpperCase()}_${key}`);
      if (!known) out.push(`abi.ts ${group}.${key} has no twin in aspawn.h`);
    }
  }
  for (const [name, args] of p.functions) {
    const s = (symbols as Record<string, { args: readonly string[] }>)[name];
    if (!s) out.push(`${name} is exported but not in symbols.ts`);
    else if (s.args.join() !== args.join()) out.push(`${name}(${args}) is declared as (${s.args}) in symbols.ts`);
  }
  for (const name of Object.keys(symbols)) if (!p.functions.has(name)) out.push(`symbols.ts ${name} is not in aspawn.h`);
  return out;
}

test("abi: every constant, record layout and function of aspawn.h has its mirror, and no more", () => {
  const p = parse(header);
  assert.ok(p.constants.size >= 50, `parsed ${p.constants.size} constants`);
  assert.deepEqual([...p.structs.keys()].sort(), ["asp_event", "asp_req_header", "asp_status_record", "asp_status_take", "asp_sync_opts", "asp_sync_result", "asp_wait_result"]);
  assert.ok(p.functions.size >= 20, `parsed ${p.functions.size} functions`);
  assert.deepEqual(differences(p), []);
});

test("abi: a constant, a field or a function changed on one side only is found", () => {
  const changed = [
    header.replace("#define ASP_CAP_PIDFD 0x10", "#define ASP_CAP_PIDFD 0x80"),
    header.replace("ASP_OP_CLEAR_GROUPS = 16,", "ASP_OP_CLEAR_GROUPS = 16,\n\tASP_OP_PTY = 17,"),
    header.replace("int32_t si_code;", "int64_t si_code;"),
    header.replace("#define ASP_REQ_MAX_FDS 4096u", "#define ASP_REQ_MAX_FDS 4096u\n#define ASP_REQ_MAX_NEW 1"),
    header.replace("int asp_close(int fd);", "int asp_close(int fd, uint32_t how);"),
    header.replace("int asp_orphan(int pidfd);", ""),
  ];
  for (const text of changed) {
    assert.notEqual(text, header, "the edit must apply");
    assert.ok(differences(parse(text)).length > 0, "a one-sided change must be reported");
  }
});
