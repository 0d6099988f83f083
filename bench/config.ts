/**
 * Sizes of every scenario, full and --quick. --quick must finish all three
 * runtimes in under a minute on 2 cores, so it trades samples for time;
 * the budgets cap scenarios whose per-iteration cost explodes on one
 * runtime (child_process with a GiB-sized parent forks its page tables).
 */
const MiB = 1024 * 1024, GiB = 1024 * MiB;

export interface Config {
  quick: boolean;
  /** spawn() call: parent sizes in extra touched ArrayBuffer bytes, samples per launcher and time cap per size */
  callHeaps: { label: string; bytes: number }[];
  callSamples: number;
  callBudgetMs: number;
  /** /bin/true spawns per launcher in the storm, and how many at once */
  stormTotal: number;
  inflight: number;
  /** bytes per stdout read, and repetitions per launcher */
  pipeBytes: number;
  pipeReps: number;
  /** echo hello captures per launcher */
  echoSamples: number;
  /** live `sleep 1000` children per launcher, and repetitions */
  liveChildren: number;
  liveReps: number;
  /** growth: live children, argument counts and KiB of environment to spawn with, and samples per size */
  growthChildren: number[];
  growthArgs: number[];
  growthEnvKib: number[];
  growthSamples: number;
}

export function config(quick: boolean): Config {
  return quick
    ? {
      quick,
      callHeaps: [{ label: "100MiB", bytes: 100 * MiB }, { label: "1GiB", bytes: GiB }],
      callSamples: 300,
      callBudgetMs: 2000,
      stormTotal: 2000,
      inflight: 32,
      pipeBytes: 256 * MiB,
      pipeReps: 3,
      echoSamples: 200,
      liveChildren: 500,
      liveReps: 1,
      growthChildren: [1, 10, 100],
      growthArgs: [0, 10, 100],
      growthEnvKib: [0, 10, 100],
      growthSamples: 40,
    }
    : {
      quick,
      callHeaps: [{ label: "100MiB", bytes: 100 * MiB }, { label: "4GiB", bytes: 4 * GiB }],
      callSamples: 2000,
      callBudgetMs: 20000,
      stormTotal: 10000,
      inflight: 32,
      pipeBytes: 2 * GiB,
      // 5: with 3, one noisy run can move the median by 10 %.
      pipeReps: 5,
      echoSamples: 1000,
      liveChildren: 2000,
      liveReps: 2,
      // 10 000 sleeping children hold 10 000 pids and pidfds: the fd limit here is 20 000.
      growthChildren: [1, 10, 100, 1000, 10000],
      growthArgs: [0, 10, 100, 1000],
      growthEnvKib: [0, 10, 100, 1024],
      growthSamples: 300,
    };
}
