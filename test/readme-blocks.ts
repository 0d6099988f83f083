/**
 * The README's ```ts blocks, runnable: each imports "aspawn", which is
 * pointed at this checkout. They run in a sandbox made to look like a small
 * project: a git repository with a commit, a few text files.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { repoRoot } from "./repo-root.ts";

export interface Block {
  /** 1-based line of the opening fence */
  line: number;
  code: string;
  /**
   * A module other blocks load rather than a program: the file name its
   * first line gives (`// jobs.ts: ...`), written beside every block.
   */
  module?: string;
}

export function readmeBlocks(): Block[] {
  const lines = readFileSync(`${repoRoot}README.md`, "utf8").split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== "```ts") continue;
    const start = i;
    while (++i < lines.length && lines[i] !== "```");
    const module = /^\/\/ ([\w-]+\.ts)\b/.exec(lines[start + 1] ?? "")?.[1];
    blocks.push({ line: start + 1, code: lines.slice(start + 1, i).join("\n") + "\n", ...(module && { module }) });
  }
  return blocks;
}

/** A directory where the examples find what they expect. */
export function sandbox(): string {
  const dir = mkdtempSync(`${tmpdir()}/aspawn-readme-`);
  for (const f of ["a.txt", "b.txt", "c.txt"]) writeFileSync(`${dir}/${f}`, `${f}\nline two\n`);
  mkdirSync(`${dir}/src`);
  const env = { ...process.env, GIT_AUTHOR_NAME: "Ada", GIT_AUTHOR_EMAIL: "ada@example.org", GIT_COMMITTER_NAME: "Ada", GIT_COMMITTER_EMAIL: "ada@example.org" };
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, env, stdio: "ignore" });
  git("init", "-q");
  git("add", ".");
  git("commit", "-qm", "first");
  return dir;
}

/** The block as a module whose "aspawn" is `entry` (and "aspawn/child_process", "aspawn/worker" its neighbours). */
export function withEntry(code: string, entry: string): string {
  const cp = entry.replace(/index\.ts$/, "child_process/index.ts"), worker = entry.replace(/index\.ts$/, "worker/child.ts");
  return code
    .replaceAll(`from "aspawn/child_process"`, `from ${JSON.stringify(cp)}`)
    .replaceAll(`from "aspawn/worker"`, `from ${JSON.stringify(worker)}`)
    .replaceAll(`from "aspawn"`, `from ${JSON.stringify(entry)}`);
}
