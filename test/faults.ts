/**
 * The fault classes of issue 12, each a fixture run in a fresh process under
 * the condition it needs, judged in one place: test/cases/reliability-core
 * asserts them, and `npm run soak` reports them. A check returns null when
 * the library behaved as documented, else what went wrong.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { spawn as spawnNode } from "node:child_process";
import { type FixtureOptions, type FixtureResult, runFixture, showFixture } from "./fixtures.ts";
import { runtime } from "../src/ffi/runtime.ts";

export interface FaultCheck {
  name: string;
  check(): Promise<string | null>;
}

/** null when every expected field matches; else the fixture's output. */
function expect(r: FixtureResult, want: Record<string, unknown>, json = r.json): string | null {
  if (r.code !== 0 || !json) return showFixture(r);
  const wrong = Object.entries(want).filter(([k, v]) => JSON.stringify(json[k]) !== JSON.stringify(v));
  return wrong.length ? `${wrong.map(([k, v]) => `${k}: ${JSON.stringify(json[k])}, expected ${JSON.stringify(v)}`).join("; ")}\n${showFixture(r)}` : null;
}

/** A fixture whose stdout is closed writes its JSON to the file named by its one argument: that JSON, if any. */
async function fixtureToFile(name: string, opts: FixtureOptions): Promise<{ r: FixtureResult; o?: Record<string, any> }> {
  const dir = mkdtempSync(`${tmpdir()}/aspawn-`);
  const r = await runFixture(name, [`${dir}/out.json`], opts);
  try {
    return { r, o: JSON.parse(readFileSync(`${dir}/out.json`, "utf8")) };
  } catch {
    return { r };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const faultChecks: FaultCheck[] = [
  {
    name: "low RLIMIT_NOFILE: a small share taken, EMFILE a SpawnError, recovery",
    async check() {
      const r = await runFixture("rel-low-fds", ["128"], { allowAll: true, exposeGc: true, ulimit: "-n 128", timeoutMs: 60000 });
      const problem = expect(r, {
        workerLoadExhausted: "SpawnError EMFILE",
        loadExhausted: "SpawnError EMFILE",
        reactorExhausted: "SpawnError EMFILE",
        fewLeft: "exit 0",
        canOpen: true,
        spawnExhausted: "SpawnError EMFILE",
        afterRelease: "exit 0",
      });
      // The reactor's fixed cost (epoll, eventfd, a notify pipe, the
      // runtime's watcher of it); no reserve of low numbers with so few left.
      if (problem || r.json.libraryFds <= 6) return problem;
      return `the library kept ${r.json.libraryFds} of the 12 fds left`;
    },
  },
  {
    name: "started with fds 0-2 closed: none of ours there, closed fds named in stdio are EBADF",
    async check() {
      const { r, o } = await fixtureToFile("rel-closed-stdio", { allowAll: true, exposeGc: true, redirect: "0<&- 1>&- 2>&-", timeoutMs: 60000 });
      if (!o) return `no result\n${showFixture(r)}`;
      return expect(r, {
        firstRun: "ran",
        taken: [],
        inheritClosedFd: "EBADF",
        ...(o.closedAtStart[1] ? { inheritClosedStdout: "EBADF" } : {}),
      }, o);
    },
  },
  {
    name: "fds 0-2 closed by the program itself, then spawns: none of ours or the runtime's copies there, stdin inherit is EBADF, later runs complete",
    async check() {
      const { r, o } = await fixtureToFile("rel-stdio-closed-later", { allowAll: true, timeoutMs: 60000 });
      if (!o) return `no result\n${showFixture(r)}`;
      // Before, on Bun: the notify pipe's copy (Bun's stream) and the read of /proc/self/maps sat on 0-2.
      // stdin "inherit": EBADF, or on Node the /dev/null its libuv put on fd 0 (Deno's closeSync leaves its stdio open).
      const fine = ["ran (fd 0: /dev/null)", ...(runtime === "deno" ? ["fd 0 not closed"] : [])];
      const stdin = fine.includes(o.inheritStdin) ? { inheritStdin: o.inheritStdin } : { inheritStdin: "EBADF" };
      return expect(r, { taken: [], ...stdin, later: "ran" }, o);
    },
  },
  {
    name: "Workers ending while their children run: children reaped, fds released, death signals delivered",
    async check() {
      const r = await runFixture("rel-worker-end", [], { allowAll: true, exposeGc: true, bundles: ["rel-worker-end-worker"], timeoutMs: 60000 });
      const problem = expect(r, { leftRunning: 20, reapedA: true, reapedB: true, reapedC: true, survivorsC: 0, zombies: 0 });
      if (problem || r.json.fdsLeaked <= 4) return problem;
      return `${r.json.fdsLeaked} fds left behind by 80 children of ended Workers`;
    },
  },
  {
    name: "a Worker changing the environment while we spawn: no crash, no torn environment",
    async check() {
      const r = await runFixture("env-race", ["3000"], { allowAll: true, exposeGc: true, timeoutMs: 60000 });
      if (r.signal) return `killed by ${r.signal}\n${showFixture(r)}`;
      const problem = expect(r, { errors: 0, wrong: 0 });
      if (problem) return problem;
      if (r.json.spawns < 8 || r.json.changes <= 100) return `too little happened to judge\n${showFixture(r)}`;
      return null;
    },
  },
  {
    name: "SIGCHLD inherited as SIG_IGN: exit statuses still right",
    async check() {
      // perl hands SIG_IGN through exec (SigIgn bit 16: SIGCHLD).
      const launcher = ["perl", "-e", '$SIG{CHLD} = "IGNORE"; exec @ARGV or die "exec: $!"', "--"];
      const probe = await new Promise<string>((resolve) => {
        const c = spawnNode(launcher[0]!, [...launcher.slice(1), "cat", "/proc/self/status"], { stdio: ["ignore", "pipe", "inherit"] });
        let out = "";
        c.stdout!.on("data", (d) => (out += d));
        c.on("close", () => resolve(out));
      });
      const ign = /^SigIgn:\s*([0-9a-f]+)$/m.exec(probe)?.[1];
      if (!ign || ((BigInt(`0x${ign}`) >> 16n) & 1n) !== 1n) return `the launcher did not ignore SIGCHLD: SigIgn ${ign}`;
      const r = await runFixture("sigchld-statuses", [], { allowAll: true, launcher, timeoutMs: 60000 });
      return expect(r, { three: [3, null], killed: [null, "SIGKILL"], ok: [0, "fine\n"] });
    },
  },
];
