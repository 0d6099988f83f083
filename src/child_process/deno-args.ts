/**
 * Node's command lines for Deno's own executable (denoNodeArgs, below), and
 * fork() of a Deno program from Deno, as Deno's own node:child_process
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
  "add", "bench", "bundle", "cache", "check", "clean", "compile", "completions", "coverage", "deploy", "doc", "eval", "fmt",
  "help", "info", "init", "install", "jupyter", "lint", "lsp", "outdated", "publish", "remove", "repl", "run", "serve",
  "task", "test", "types", "uninstall", "upgrade", "vendor", "x",
]);

/** Node's flags that take the next argument as their value (`--flag value`), beyond DROPPED_WITH_VALUE: dropped with it. */
const NODE_WITH_VALUE = new Set([
  "--disable-warning", "--unhandled-rejections", "--input-type", "--inspect-port", "--debug-port", "--redirect-warnings",
  "--stack-trace-limit", "--max-http-header-size", "--heapsnapshot-signal", "--diagnostic-dir", "--report-dir",
  "--report-directory", "--report-filename", "--report-signal", "--secure-heap", "--secure-heap-min", "--icu-data-dir",
  "--openssl-config", "--tls-cipher-list", "--tls-keylog", "--trace-event-categories", "--trace-event-file-pattern",
  "--use-largepages", "--watch-path", "--cpu-prof-dir", "--cpu-prof-name", "--heap-prof-dir", "--heap-prof-name",
  "--dns-result-order", "--experimental-default-type", "--experimental-sea-config", "--policy-integrity",
  "--experimental-policy", "--experimental-permission", "--allow-fs-read", "--allow-fs-write",
]);

/** Deno's permission flags. */
const PERMISSION = /^(-A|--allow-|--deny-|-[RWNESP](=|$))/;

/** V8's options, which Node takes as its own flags and Deno through --v8-flags. */
const V8 = /^--(no-)?(max-old-space-size|max-semi-space-size|stack-size|expose-gc|expose_gc|jitless|harmony|perf-basic-prof|perf-prof|interpreted-frames-native-stack|huge-max-old-generation-size|disallow-code-generation-from-strings|abort-on-uncaught-exception|single-threaded|opt|predictable|random-seed|trace-gc)/;

/** Node's own flags, written `--flag=value` or alone, that Deno neither knows nor needs: dropped. */
const NODE_ONLY = /^--(no-)?(experimental-|deprecation|trace-deprecation|throw-deprecation|pending-deprecation|trace-warnings|enable-source-maps|title|require|import|loader|disable-warning|unhandled-rejections|input-type|inspect-port|debug-port|redirect-warnings|stack-trace-limit|max-http-header-size|heapsnapshot-signal|diagnostic-dir|report-|secure-heap|icu-data-dir|openssl-|tls-|trace-event-|use-largepages|watch-path|cpu-prof|heap-prof|dns-result-order|preserve-symlinks|force-node-api-uncaught-exceptions-policy|frozen-intrinsics|zero-fill-buffers|use-strict|policy-|allow-fs-|allow-child-process|allow-worker|allow-addons|allow-wasi)(=|$)/;

/**
 * What `node -e CODE` gives the code, for `deno eval`: `require`, and each
 * builtin module as a global of its name (fs, path, ...), made on first use.
 * An expression, whose value `--print` prints. With `--input-type=module`
 * the code is a module, as deno eval runs it anyway.
 */
function evalSource(code: string, module: boolean): string {
  if (module) return code;
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
 * A Node command line for Deno's own executable (`script args`, `-e CODE`,
 * `-p CODE`, Node's flags before them), as Deno's node:child_process
 * rewrites one for spawn(process.execPath, args) and its kin: code written
 * for Node starts itself so (`spawn(process.execPath, ["worker.js"])`). A
 * script runs with `deno run -A` and Node's module rules, code with `deno
 * eval`. Node's own flags are dropped (with their value), the few with a
 * Deno meaning translated, any other flag (Deno's own: `-A`,
 * `--allow-read`) passed on. Left as it is: a command line with no script
 * or code (`--help`, none at all: a REPL), or one that starts with a Deno
 * subcommand.
 */
export function denoNodeArgs(args: readonly string[]): readonly string[] {
  const flags: string[] = [], v8: string[] = [];
  let module = false;
  const deno = () => (v8.length ? [`--v8-flags=${v8.join(",")}`, ...flags] : flags);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-v" || a === "--version") return ["--version"];
    if (a === "--" || a === "-" || !a.startsWith("-")) {
      if (a !== "--" && a !== "-" && SUBCOMMANDS.has(a)) return args;
      let script = a === "--" ? args[i + 1] : a;
      if (script === undefined) return args;
      // After "--" a path may look like a flag; deno run takes no "--" before its script: "./-x.js".
      if (a === "--" && script.startsWith("-") && script !== "-") script = `./${script}`;
      const rest = args.slice(a === "--" ? i + 2 : i + 1);
      // Permissions of the caller's own (`--allow-read`) conflict with -A: theirs, alone.
      const prefix = flags.some((f) => PERMISSION.test(f)) ? PREFIX.filter((f) => f !== "-A") : PREFIX;
      return [...prefix, ...deno(), script, ...rest];
    }
    const print = a === "-p" || a === "--print" || a === "-pe" || a.startsWith("--print=");
    if (print || a === "-e" || a === "--eval" || a.startsWith("--eval=")) {
      const inline = a.startsWith("--") ? a.indexOf("=") : -1;
      const code = inline > 0 ? a.slice(inline + 1) : args[++i] ?? "";
      return ["eval", ...PREFIX.slice(2), ...deno(), ...(print ? ["--print"] : []), evalSource(code, module), ...args.slice(i + 1)];
    }
    if (a === "--input-type=module" || (a === "--input-type" && args[i + 1] === "module")) module = true;
    if (a === "--no-warnings") flags.push("--quiet");
    else if (a === "-C" || a === "--conditions") flags.push(`--conditions=${args[++i] ?? ""}`);
    else if (DROPPED_WITH_VALUE.has(a) || NODE_WITH_VALUE.has(a)) i++;
    else if (V8.test(a)) v8.push(a);
    else if (!NODE_ONLY.test(a)) flags.push(a); // Deno's own flags, and those of the same name (--inspect, --env-file=)
  }
  return args;
}
