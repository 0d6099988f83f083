/**
 * The C floor from scripts/bench-c.sh --json: the parent-side syscalls of
 * one spawn done by hand in C, small parent. Missing file: no floor, and
 * the targets that need it are reported as such.
 */
import { existsSync, readFileSync } from "node:fs";
import type { CFloor } from "./results.ts";

interface CMethod {
  blocked_p50_us: number;
  seq_per_s: number;
  inflight32_per_s: number;
}

export function readCFloor(path: string): CFloor | null {
  if (!existsSync(path)) return null;
  const j = JSON.parse(readFileSync(path, "utf8")) as { parents: Record<string, { methods: Record<string, CMethod> }> };
  const m = j.parents.small?.methods;
  if (!m?.floor || !m.asp) return null;
  return {
    blockedP50Us: m.floor.blocked_p50_us,
    seqUs: 1e6 / m.floor.seq_per_s,
    asp: { blockedP50Us: m.asp.blocked_p50_us, inflightPerSec: m.asp.inflight32_per_s },
    source: path,
  };
}
