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
  bytes: number;
  /** RSS of this process while measuring */
  rssBytes: number;
}

export interface StormSide {
  perSec: number;
  ticks: number;
  ticksPerSec: number;
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

export interface Target {
  runtime: RuntimeName;
  id: string;
  label: string;
  value: number;
  /** "<= 1.30", ">= 3.00", "0.70..1.30" */
  goal: string;
  pass: boolean;
  note?: string;
}

export interface RuntimeResult {
  runtime: RuntimeName;
  version: string;
  nativeApi: string;
  quick: boolean;
  seconds: number;
  call: CallResult[];
  storm: Pair<StormSide> & { total: number; inflight: number };
  pipe: Pair<{ mbPerSec: number; runs: number[] }> & { bytes: number; writer: string };
  echo: Pair<Latency> & { command: string };
  live: Pair<LiveSide> & { children: number; reps: number; gc: string; forcedGc: boolean };
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

/** The C floor (bench/c, small parent) the JS numbers are held against. */
export interface CFloor {
  /** floor method: blocked time of the spawn syscalls, p50 */
  blockedP50Us: number;
  /** floor method: sequential spawn + full reap of /bin/true, mean per spawn */
  seqUs: number;
  asp: { blockedP50Us: number; inflightPerSec: number };
  source: string;
}

export interface Merged {
  generated: string;
  quick: boolean;
  cFloor: CFloor | null;
  runtimes: RuntimeResult[];
  targets: Target[];
}
