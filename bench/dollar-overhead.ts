/**
 * What `$` and `shell` / `preferLocal` add to a spawn in JavaScript, beyond
 * the extra `sh` process: the template split, the option rewrite, and the
 * caller's blocked time of spawn() with each. Medians (and p90) of many
 * rounds: the figures are meant for a loaded machine. Standalone, not part
 * of `npm run bench`:
 *
 *   bun bench/dollar-overhead.ts; deno run -A bench/dollar-overhead.ts; on Node 20
 *   bundle it first: esbuild bench/dollar-overhead.ts --bundle --platform=node
 *   --format=esm --packages=external --outfile=build/dollar-overhead.mjs
 */
import { $, run, spawn } from "../src/index.ts";
import { command } from "../src/api/command.ts";
import { templateWords } from "../src/api/template.ts";

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;
const fmt = (us: number) => (us < 10 ? us.toFixed(3) : us.toFixed(1));

/**
 * Microseconds per call: the median and p90 over batches of 100 calls.
 * Batches are short (microseconds) so that on a loaded machine most of
 * them run without being preempted: long rounds would measure the load.
 */
function perCall(name: string, fn: () => unknown, batches = 3000, n = 100): void {
  for (let i = 0; i < 20_000; i++) fn(); // warm up
  const per: number[] = [];
  for (let r = 0; r < batches; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    per.push(((performance.now() - t0) * 1000) / n);
  }
  console.log(`${name.padEnd(56)} p50 ${fmt(quantile(per, 0.5))} us  p90 ${fmt(quantile(per, 0.9))} us`);
}

const tag = (s: TemplateStringsArray, ...v: unknown[]) => templateWords(s, v);
const range = "v1.0..v2.0", files = ["a.ts", "b.ts", "c d.ts", "e.ts", "f.ts", "g.ts", "h.ts", "i.ts"];

perCall("argv as an array literal (baseline)", () => ["git", "log", "--format=%an", range]);
perCall("templateWords: git log --format=%an ${range}", () => tag`git log --format=%an ${range}`);
perCall("templateWords: 8 words, quotes, a value, an array of 8", () =>
  tag`eslint --max-warnings 0 --format "stylish" --rule ${"no-x: 2"} ${files}`);
perCall("command(): shell: true", () => command("echo $HOME && ls", [], { shell: true }));
perCall("command(): shell: true with 3 args", () => command('printf "%s\\n" "$@"', ["a", "b", "c"], { shell: true }));
perCall("command(): preferLocal: true", () => command("tsc", [], { preferLocal: true, cwd: "/work/a/b/c" }));

/** Blocked time of one synchronous call, alternating the variants; each child is awaited untimed. */
async function blocked(variants: [string, () => { exited?: Promise<unknown> } | PromiseLike<unknown>][], samples = 400) {
  const times = variants.map(() => [] as number[]);
  for (let i = -20; i < samples; i++) {
    for (let j = 0; j < variants.length; j++) {
      const k = (i + j + variants.length * 10) % variants.length;
      const t0 = performance.now();
      const r = variants[k]![1]();
      const us = (performance.now() - t0) * 1000;
      await ("exited" in r ? r.exited : r);
      if (i >= 0) times[k]!.push(us);
    }
  }
  variants.forEach(([name], k) =>
    console.log(`${name.padEnd(56)} p50 ${fmt(quantile(times[k]!, 0.5))} us  p90 ${fmt(quantile(times[k]!, 0.9))} us`));
}

await blocked([
  ["spawn('/bin/true')", () => spawn("/bin/true", { stdout: "ignore" })],
  ["spawn('/bin/true', { shell: true })", () => spawn("/bin/true", { stdout: "ignore", shell: true })],
  ["spawn('/bin/true', { preferLocal: true })", () => spawn("/bin/true", { stdout: "ignore", preferLocal: true })],
]);
// run() spawns before its first await; a $ command only splits its words
// and schedules its start, whose spawn then costs what run()'s does.
await blocked([
  ["run('/bin/echo', [x]) (spawns synchronously)", () => run("/bin/echo", [range])],
  ["$`/bin/echo ${x}` (split + schedule only)", () => $`/bin/echo ${range}`],
]);

// The same split + schedule, warm (20 000 calls): a command whose options
// reject before anything is spawned, awaited after each call.
const $noSpawn = $({ cwd: 5 as never });
const dollar: number[] = [], baseline: number[] = [];
for (let i = 0; i < 20_000; i++) {
  let t0 = performance.now();
  const c = $noSpawn`git log --format=%an ${range}`;
  dollar.push((performance.now() - t0) * 1000);
  await c.catch(() => {});
  t0 = performance.now();
  const p = Promise.resolve(["git", "log", "--format=%an", range]);
  baseline.push((performance.now() - t0) * 1000);
  await p;
}
for (const [name, xs] of [["$`git log --format=%an ${x}` call, warm", dollar], ["baseline: argv array + a promise", baseline]] as const) {
  const warm = xs.slice(2000);
  console.log(`${name.padEnd(56)} p50 ${fmt(quantile(warm, 0.5))} us  p90 ${fmt(quantile(warm, 0.9))} us`);
}
