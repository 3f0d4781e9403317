// Running the external compilers the Rust and C builds use (cargo, rustc, clang): spawned, never
// waited on synchronously, output captured; plus finding programs on PATH and reading make-style
// dependency files (what cargo and clang say a build read).
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";

export interface ToolResult {
  /** Exit code; -1 when the program could not be started. */
  code: number;
  stdout: string;
  stderr: string;
  /** Why it could not be started (ENOENT, EACCES), when code is -1. */
  startError?: string;
}

export interface ToolOptions {
  cwd?: string;
  /** Added to (or, with undefined, removed from) the inherited environment. */
  env?: Record<string, string | undefined>;
}

/** Runs `program args`, collecting its output. Never rejects. */
export function runTool(program: string, args: readonly string[], options: ToolOptions = {}): Promise<ToolResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    const child = spawn(program, args, { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => void (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => void (stderr += chunk));
    child.on("error", (e: NodeJS.ErrnoException) => resolve({ code: -1, stdout, stderr, startError: e.code ?? e.message }));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The first executable called `name` on PATH, or null. A name with a slash is checked as it is. */
export function which(name: string): string | null {
  const candidates = name.includes("/") ? [name] : (process.env.PATH ?? "").split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, name));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return path.resolve(file);
    } catch {
      // not here
    }
  }
  return null;
}

/** The prerequisites listed in a make-style dependency file (`target: a b\ c`), or [] when unreadable. */
export async function readDepFile(file: string): Promise<string[]> {
  const text = await readFile(file, "utf8").catch(() => "");
  const files = new Set<string>();
  for (const rule of text.replace(/\\\r?\n/g, " ").split(/\r?\n/)) {
    const colon = rule.search(/:(\s|$)/);
    if (colon < 0) continue;
    // Split on unescaped spaces, then unescape "\ ".
    for (const token of rule.slice(colon + 1).trim().split(/(?<!\\)\s+/)) {
      if (token) files.add(token.replace(/\\ /g, " "));
    }
  }
  return [...files];
}

/** Inputs worth stamping: files inside the project (relative) or inside `also` folders (absolute). */
export function projectInputs(files: Iterable<string>, root: string, also: readonly string[] = []): string[] {
  const out = new Set<string>();
  for (const file of files) {
    const abs = path.resolve(root, file);
    const rel = path.relative(root, abs);
    if (!rel.startsWith("..") && !path.isAbsolute(rel)) out.add(rel.split(path.sep).join("/"));
    else if (also.some((dir) => !path.relative(dir, abs).startsWith(".."))) out.add(abs);
  }
  return [...out].sort();
}
