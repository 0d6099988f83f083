/**
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
