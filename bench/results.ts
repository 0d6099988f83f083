/** The shape of the JSON results: one object per runtime, merged into bench/results/latest.json. */
import type { RuntimeName } from "./env.ts";
import type { Latency } from "./stats.ts";

/** aspawn's number and the runtime's own API's number for the same measure. */
export interface Pair<T> {
  aspawn: T;
  native: T;
}

export interface CallResult extends Pair<Latency> {
  label: string;
  /** bench/c/floor.c's spawn timed in this process, in turn with the pair (absent without libbench-floor.so) */
  floor?: Latency;
  /** the same floor, each call right after a spawn() of aspawn and its reap (untimed): in the state a JS await leaves */
  floorAfterJs?: Latency;
  bytes: number;
  /** RSS of this process while measuring */
  rssBytes: number;
}

export interface StormSide {
  perSec: number;
  ticks: number;
  ticksPerSec: number;
  gapP50Ms: number;
  gapP99Ms: number;
  gapMaxMs: number;
}

export interface LiveSide {
  /** JS heap growth per live child, after a full GC */
  heapBytesPerChild: number;
  /** RSS growth per child: the native side too, coarse */
  rssBytesPerChild: number;
  spawnAllMs: number;
  killReapMs: number;
}

/** spawn() p50 of one size of the growth scenario (bench/scenarios/growth.ts). */
export interface GrowthPoint extends Latency {
  /** live children, arguments, or environment bytes */
  size: number;
  /** the request's arguments or environment in KiB (0 for the children series) */
  kib: number;
  /** children series: the C floor that shares our fd table, timed in turn at this size */
  floor?: Latency;
}

export interface GrowthResult {
  /** /bin/true spawned with `size` sleeping children alive */
  children: GrowthPoint[];
  /** /bin/true with `size` arguments of 16 characters */
  args: GrowthPoint[];
  /** /bin/true with `size` bytes of extra environment (entries of 1 KiB) */
  env: GrowthPoint[];
  /** least-squares slope of p50 over the request's KiB */
  argsUsPerKib: number;
  envUsPerKib: number;
}

export interface Target {
  runtime: RuntimeName;
  id: string;
  label: string;
  value: number;
  /** "<= 1.30", ">= 3.00", "0.70..1.30" */
  goal: string;
  pass: boolean;
  /** a ratio to a physical floor measured in the same run (or to a budget): drawn in the chart's floor panel */
  floor?: boolean;
  note?: string;
}

export interface RuntimeResult {
  runtime: RuntimeName;
  version: string;
  nativeApi: string;
  quick: boolean;
  seconds: number;
  call: CallResult[];
  /** wake: bench/c/wake_floor.c's storm, this thread woken once per child, in turn with the pair;
   * floor: bench/c/loop_storm.c's C loop timed in this process, in turn with the pair */
  storm: Pair<StormSide> & { total: number; inflight: number; wake?: StormSide; floor?: StormSide };
  /** floor: bench/c/reader_loop.c's read with bench-c's best sizes, timed in this process, in turn with the pair */
  pipe: Pair<{ mbPerSec: number; runs: number[] }> & { bytes: number; writer: string; floor?: { mbPerSec: number; runs: number[] } };
  /** floor: bench/c/echo_capture.c's vfork capture timed in this process, in turn with the pair;
   * wake: bench/c/wake_floor.c's, this thread woken once per capture */
  echo: Pair<Latency> & { command: string; floor?: Latency; wake?: Latency };
  live: Pair<LiveSide> & { children: number; reps: number; gc: string; forcedGc: boolean };
  /** aspawn only: how spawn() grows with live children and request size */
  growth: GrowthResult;
  end: Leftovers;
  targets: Target[];
}

export interface Leftovers {
  fdsStart: number;
  fdsEnd: number;
  /** fds open at the end that were not at the start */
  newFds: string[];
  /** children still alive at the end (then killed by pid) */
  children: number;
  zombies: number;
}

/** The storm done by one C epoll loop (bench/c/loop_floor.c). */
export interface LoopFloor {
  total: number;
  inflight: number;
  perSec: number;
  ticksPerSec: number;
  gapP50Ms: number;
  gapP99Ms: number;
  gapMaxMs: number;
}

/** The best C reader of the stdout scenario's producer (bench/c/reader_floor.c). */
export interface ReaderFloor {
  producer: string;
  bytes: number;
  mbPerSec: number;
  pipeSize: number;
  readSize: number;
  /** splice(2) into /dev/null: a ceiling, not a target */
  spliceMbPerSec: number;
}

/** The C floors (bench/c, small parent, same run) the JS numbers are held against. */
export interface CFloor {
  /** floor method: blocked time of the spawn syscalls, p50 and p99 */
  blockedP50Us: number;
  blockedP99Us: number;
  /** floor method: sequential spawn + full reap of /bin/true, mean per spawn */
  seqUs: number;
  asp: { blockedP50Us: number; inflightPerSec: number };
  /** the floors of the other scenarios; absent in a bench-c.json from before them or run with --no-floors */
  loop?: LoopFloor;
  /** `echo hello` captured through a pipe and reaped */
  echo?: { vfork: Latency; posixSpawn: Latency };
  stdout?: ReaderFloor;
  source: string;
}

export interface Merged {
  generated: string;
  quick: boolean;
  cFloor: CFloor | null;
  runtimes: RuntimeResult[];
  targets: Target[];
}
