/**
 * The C floors from scripts/bench-c.sh --json: the parent-side syscalls of
 * one spawn done by hand in C (small parent), and the floors of the other
 * scenarios (bench/c/floors.c). Missing file: no floor, and the targets
 * that need it are left out.
 */
import { existsSync, readFileSync } from "node:fs";
import type { CFloor } from "./results.ts";
import type { Latency } from "./stats.ts";

interface CMethod {
  blocked_p50_us: number;
  blocked_p99_us: number;
  seq_per_s: number;
  inflight32_per_s: number;
}

interface CLat {
  n: number;
  p50_us: number;
  p99_us: number;
}

interface CFloors {
  loop: {
    total: number;
    inflight: number;
    per_s: number;
    ticks_per_s: number;
    gap_p50_ms: number;
    gap_p99_ms: number;
    gap_max_ms: number;
  };
  echo: { vfork: CLat; posix_spawn: CLat };
  stdout: {
    producer: string;
    bytes: number;
    best: { pipe_size: number; read_size: number; mb_per_s: number };
    splice: { mb_per_s: number };
  };
}

const lat = (l: CLat): Latency => ({ n: l.n, p50Us: l.p50_us, p99Us: l.p99_us });

export function readCFloor(path: string): CFloor | null {
  if (!existsSync(path)) return null;
  const j = JSON.parse(readFileSync(path, "utf8")) as {
    parents: Record<string, { methods: Record<string, CMethod> }>;
    floors?: CFloors;
  };
  const m = j.parents.small?.methods;
  if (!m?.floor || !m.asp) return null;
  const f = j.floors;
  return {
    blockedP50Us: m.floor.blocked_p50_us,
    blockedP99Us: m.floor.blocked_p99_us,
    seqUs: 1e6 / m.floor.seq_per_s,
    asp: { blockedP50Us: m.asp.blocked_p50_us, inflightPerSec: m.asp.inflight32_per_s },
    ...(f && {
      loop: {
        total: f.loop.total,
        inflight: f.loop.inflight,
        perSec: f.loop.per_s,
        ticksPerSec: f.loop.ticks_per_s,
        gapP50Ms: f.loop.gap_p50_ms,
        gapP99Ms: f.loop.gap_p99_ms,
        gapMaxMs: f.loop.gap_max_ms,
      },
      echo: { vfork: lat(f.echo.vfork), posixSpawn: lat(f.echo.posix_spawn) },
      stdout: {
        producer: f.stdout.producer,
        bytes: f.stdout.bytes,
        mbPerSec: f.stdout.best.mb_per_s,
        pipeSize: f.stdout.best.pipe_size,
        readSize: f.stdout.best.read_size,
        spliceMbPerSec: f.stdout.splice.mb_per_s,
      },
    }),
    source: path,
  };
}
