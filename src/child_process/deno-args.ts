/**
 * Node's command lines for Deno's own executable, and fork() of a Deno program from Deno, as Deno's own node:child_process
 * starts it: `deno run -A --unstable-bare-node-builtins
 * --unstable-detect-cjs`, the module, its arguments. A bare `deno FILE`
 * would run the module without permissions (NotCapable at the first env or
 * fs access). execArgv holds Node's flags, which Deno (2.9)
 * translates; the few with a Deno meaning are translated here too, Node's
 * own are dropped (with their value), and other flags go to V8, as Deno
 * does. An execArgv that starts with a Deno subcommand (`["run", ...]`,
 * as vitest passes) is Deno's already: used as it is.
 */

const PREFIX = ["run", "-A", "--unstable-bare-node-builtins", "--unstable-detect-cjs"];
/** Node flags whose next argument is their value, which Deno has no use for. */
const DROPPED_WITH_VALUE = new Set(["--require", "-r", "--import", "--loader", "--experimental-loader", "--title"]);
/** Node flags Deno ignores. */
const DROPPED = /^--(no-)?(experimental-|deprecation|trace-deprecation|throw-deprecation|pending-deprecation|trace-warnings|enable-source-maps|title=|require=|import=|loader=|experimental-loader=)/;
/** Deno flags of the same name and meaning. */
const KEPT = /^--(inspect|inspect-brk|inspect-wait|env-file)(=|$)/;

export function denoForkArgs(execArgv: readonly string[], modulePath: string, args: readonly string[]): string[] {
  if (execArgv.length && !execArgv[0]!.startsWith("-")) return [...execArgv, modulePath, ...args];
  const deno: string[] = [], v8: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i]!;
    if (a === "--no-warnings") deno.push("--quiet");
    else if (a === "-C" || a === "--conditions") deno.push(`--conditions=${execArgv[++i] ?? ""}`);
    else if (a.startsWith("--conditions=") || KEPT.test(a)) deno.push(a);
    else if (DROPPED_WITH_VALUE.has(a)) i++;
    else if (DROPPED.test(a)) continue;
    else if (a.startsWith("-")) v8.push(a);
    else deno.push(a);
  }
  if (v8.length) deno.unshift(`--v8-flags=${v8.join(",")}`);
  return [...PREFIX, ...deno, modulePath, ...args];
}

/** Deno's subcommands: a command line that starts with one is Deno's already. */
const SUBCOMMANDS = new Set([
  "add", "bench", "cache", "check", "clean", "compile", "completions", "coverage", "deploy", "doc", "eval", "fmt", "info",
  "init", "install", "jupyter", "lint", "lsp", "outdated", "publish", "remove", "repl", "run", "serve", "task", "test",
  "types", "uninstall", "upgrade", "vendor", "x",
]);

/**
 * What `node -e CODE` gives the code, for `deno eval`: `require`, and each
 * builtin module as a global of its name (fs, path, ...), made on first use.
 * An expression, whose value `--print` prints.
 */
function evalSource(code: string): string {
  return `(() => {
  const builtins = process.getBuiltinModule("module");
  globalThis.require = builtins.createRequire(import.meta.url);
  for (const name of builtins.builtinModules) {
    if (/^[a-z_]+$/.test(name) && !(name in globalThis)) {
      Object.defineProperty(globalThis, name, { configurable: true, get: () => process.getBuiltinModule(name) });
    }
  }
  return process.getBuiltinModule("vm").runInThisContext(${JSON.stringify(code)}, { filename: "[eval]" });
})()`;
}

/**
 * A Node command line (`script args`, `-e CODE`, `-p CODE`, Node's flags)
 * for Deno's own executable, as Deno's node:child_process rewrites one for
 * spawn(process.execPath, args) and its kin: code written for Node starts
 * itself so (`spawn(process.execPath, ["worker.js"])`). Left as it is: a
 * command line that starts with a Deno subcommand.
 */
export function denoNodeArgs(args: readonly string[]): readonly string[] {
  if (args.length === 0) return ["run", "-A", "-"]; // node with no script reads one from stdin
  const flags: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") return i + 1 < args.length ? denoForkArgs(flags, args[i + 1]!, args.slice(i + 2)) : ["run", "-A", "-"];
    if (!a.startsWith("-")) return SUBCOMMANDS.has(a) ? args : denoForkArgs(flags, a, args.slice(i + 1));
    if (a === "-v" || a === "--version") return ["--version"];
    const print = a === "-p" || a === "--print" || a === "-pe" || a.startsWith("--print=");
    if (print || a === "-e" || a === "--eval" || a.startsWith("--eval=")) {
      const inline = a.indexOf("=");
      const code = inline > 0 ? a.slice(inline + 1) : args[++i] ?? "";
      return ["eval", ...PREFIX.slice(2), ...(print ? ["--print"] : []), evalSource(code), ...args.slice(i + 1)];
    }
    flags.push(a);
    if (DROPPED_WITH_VALUE.has(a) || a === "-C" || a === "--conditions") flags.push(args[++i] ?? "");
  }
  return ["run", "-A", "-"];
}
