/**
 * The fault classes of issue 12, each a fixture run in a fresh process under
 * the condition it needs, judged in one place: test/cases/reliability-core
 * asserts them, and `npm run soak` reports them. A check returns null when
 * the library behaved as documented, else what went wrong.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { type HardFixtureResult, runHard } from "./hard-util.ts";

export interface FaultCheck {
  name: string;
  check(): Promise<string | null>;
}

const show = (r: HardFixtureResult) => `exit ${r.code} ${r.signal}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`;

/** null when every expected field matches; else the fixture's output. */
function expect(r: HardFixtureResult, want: Record<string, unknown>, json = r.json): string | null {
  if (r.code !== 0 || !json) return show(r);
  const wrong = Object.entries(want).filter(([k, v]) => JSON.stringify(json[k]) !== JSON.stringify(v));
  return wrong.length ? `${wrong.map(([k, v]) => `${k}: ${JSON.stringify(json[k])}, expected ${JSON.stringify(v)}`).join("; ")}\n${show(r)}` : null;
}

export const faultChecks: FaultCheck[] = [
  {
    name: "low RLIMIT_NOFILE: a small share taken, EMFILE a SpawnError, recovery",
    async check() {
      const r = await runHard("rel-low-fds", ["128"], { ulimit: "-n 128", timeoutMs: 60000 });
      const problem = expect(r, {
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
      const file = `${mkdtempSync(`${tmpdir()}/aspawn-`)}/out.json`;
      const r = await runHard("rel-closed-stdio", [file], { redirect: "0<&- 1>&- 2>&-", timeoutMs: 60000 });
      let o: Record<string, any> | undefined;
      try {
        o = JSON.parse(readFileSync(file, "utf8"));
      } catch {
        return `no result\n${show(r)}`;
      }
      return expect(r, {
        firstRun: "ran",
        taken: [],
        inheritClosedFd: "EBADF",
        ...(o!.closedAtStart[1] ? { inheritClosedStdout: "EBADF" } : {}),
      }, o);
    },
  },
  {
    name: "Workers ending while their children run: children reaped, fds released, death signals delivered",
    async check() {
      const r = await runHard("rel-worker-end", [], { bundles: ["rel-worker-end-worker"], timeoutMs: 60000 });
      const problem = expect(r, { leftRunning: 20, reapedA: true, reapedB: true, reapedC: true, survivorsC: 0, zombies: 0 });
      if (problem || r.json.fdsLeaked <= 4) return problem;
      return `${r.json.fdsLeaked} fds left behind by 80 children of ended Workers`;
    },
  },
];
