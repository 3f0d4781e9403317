// Runs the built CLI (dist/cli.js, the package's bin) as a subprocess, building it first when
// its sources changed. Test files run in parallel workers, so the build takes a lock.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const ROOT = path.resolve(fileURLToPath(new URL("../../..", import.meta.url)));
export const CLI = path.join(ROOT, "dist/cli.js");
const STAMP = path.join(ROOT, "dist/.cli-test-stamp");
const LOCK = path.join(ROOT, "dist/.cli-test-lock");
const run = promisify(execFile);

/** Everything the bundle and the dist/ types are made from. */
function sourceHash(): string {
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (/\.(ts|mjs|json)$/.test(name)) hash.update(file).update(readFileSync(file));
    }
  };
  walk(path.join(ROOT, "cli"));
  walk(path.join(ROOT, "runtime-sim"));
  walk(path.join(ROOT, "server")); // dist/server (the ./server and ./client entries) is built from it
  for (const f of ["package.json", "tsconfig.json", "tsconfig.build.json"]) hash.update(readFileSync(path.join(ROOT, f)));
  return hash.digest("hex");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Builds dist/ (npm run build) unless it is up to date; safe to call from every test file. */
export async function ensureCliBuilt(): Promise<void> {
  const want = sourceHash();
  const fresh = () => existsSync(CLI) && existsSync(STAMP) && readFileSync(STAMP, "utf8") === want;
  if (fresh()) return;
  mkdirSync(path.dirname(LOCK), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // another worker is building: wait, unless its lock is stale (a crashed run)
      const lock = statSync(LOCK, { throwIfNoEntry: false });
      if (lock && Date.now() - lock.mtimeMs > 120_000) rmSync(LOCK, { recursive: true, force: true });
      await sleep(200);
      if (fresh()) return;
    }
  }
  try {
    if (fresh()) return;
    await run(process.execPath, [path.join(ROOT, "cli/bundle.mjs")], { cwd: ROOT });
    await run(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: ROOT });
    writeFileSync(STAMP, want);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment a user's shell would give: no vitest markers, no colours unless asked. */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(VITEST|TEST$|NODE_OPTIONS$|NODE_ENV$|FORCE_COLOR$|NO_COLOR$|FERRITE_DEBUG$|TINYPOOL)/.test(k)) env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export async function cli(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      env: cliEnv(options.env),
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    if (typeof err.code !== "number") throw e;
    return { code: err.code, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

/** The CLI as a long-running process (build --watch), with its output as it arrives. */
export function spawnCli(args: string[], cwd: string): { child: ChildProcess; output: () => string; errors: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env: cliEnv() });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  return { child, output: () => out, errors: () => err };
}

/** A fresh temporary folder, removed by the returned cleanup. */
export async function tempDir(prefix = "ferrite-cli-"): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Every file under dir, relative and sorted (the create-vite listing check). */
export function listFiles(dir: string, skip: readonly string[] = []): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d)) {
      if (skip.includes(name)) continue;
      const file = path.join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(file).isDirectory()) walk(file, r);
      else out.push(r);
    }
  };
  walk(dir, "");
  return out.sort();
}
