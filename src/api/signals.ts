/** Linux signal numbers (identical on x86_64 and aarch64) and their names. */
import { describe } from "./check.ts";

const numbers = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGIOT: 6, SIGBUS: 7,
  SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14,
  SIGTERM: 15, SIGSTKFLT: 16, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21,
  SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28,
  SIGIO: 29, SIGPOLL: 29, SIGPWR: 30, SIGSYS: 31,
} as const;

export const SIGKILL = numbers.SIGKILL;
export const SIGCONT = numbers.SIGCONT;
/** SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU: a SIGCONT after one undoes it (C: ASP_STOP_SIGNAL). */
export const stops = (signal: number): boolean =>
  signal === numbers.SIGSTOP || signal === numbers.SIGTSTP || signal === numbers.SIGTTIN || signal === numbers.SIGTTOU;

/** glibc keeps 32 and 33 for itself; SIGRTMIN is 34 as in every libc program. */
const SIGRTMIN = 34, SIGRTMAX = 64;

const names: string[] = [];
for (const [name, n] of Object.entries(numbers)) names[n] ??= name;

/** A signal name ("SIGTERM", "SIGRTMIN+2") or number; a misspelt name is a type error. */
export type Signal = SignalName | "SIGRTMIN" | "SIGRTMAX" | `SIGRTMIN+${number}` | `SIGRTMAX-${number}` | number;

/** The names of Linux's standard signals. */
export type SignalName = keyof typeof numbers;

/** The `killSignal` option: SIGTERM when left out (null is no signal name: a TypeError). */
export function killSignalNumber(v: unknown): number {
  return signalNumber(v === undefined ? "SIGTERM" : v, "killSignal");
}

/** The number of a signal given by name or number; TypeError if unknown. */
export function signalNumber(sig: unknown, what = "signal"): number {
  if (typeof sig === "number") {
    if (Number.isInteger(sig) && sig >= 1 && sig <= SIGRTMAX && sig !== 32 && sig !== 33) return sig;
    throw new TypeError(`${what} must be a signal number from 1 to 64 (not 32 or 33), got ${sig}`);
  }
  if (typeof sig === "string") {
    // Own names only: "toString" and friends live on Object.prototype.
    if (Object.hasOwn(numbers, sig)) return numbers[sig as SignalName];
    const rt = /^SIGRT(MIN|MAX)([+-]\d+)?$/.exec(sig);
    if (rt) {
      const v = (rt[1] === "MIN" ? SIGRTMIN : SIGRTMAX) + Number(rt[2] ?? 0);
      if (v >= SIGRTMIN && v <= SIGRTMAX) return v;
    }
  }
  throw new TypeError(
    `${what} must be a signal name or number, got ${describe(sig)}; known names: ${
      Object.keys(numbers).join(", ")
    }, SIGRTMIN+n, SIGRTMAX-n`,
  );
}

/** The name of a signal number ("SIGTERM", "SIGRTMIN+1"); TypeError if it names none. */
export function signalName(n: number): string {
  if (typeof n !== "number") throw new TypeError(`signalName() takes a signal number, got ${describe(n)}`);
  return nameOf(signalNumber(n));
}

/**
 * The name of a number the kernel reported (a wait status): glibc's own 32
 * and 33 included, as "SIG32". Real-time signals as `kill -l` names them:
 * SIGRTMIN+1..15, then SIGRTMAX-14..SIGRTMAX.
 */
export function nameOf(n: number): string {
  if (names[n]) return names[n]!;
  if (n === SIGRTMIN) return "SIGRTMIN";
  if (n === SIGRTMAX) return "SIGRTMAX";
  if (n > SIGRTMIN && n < SIGRTMAX) return n - SIGRTMIN <= 15 ? `SIGRTMIN+${n - SIGRTMIN}` : `SIGRTMAX-${SIGRTMAX - n}`;
  return `SIG${n}`;
}
